// Internal helpers shared by the GGUF parser and accessors: value-type facts and names.
#pragma once
#include <cstdint>

#include "formats/gguf.h"

namespace mistralrs {

bool gguf_value_type_known(uint32_t type);
// Fewest bytes one value of this type can occupy in the file (a string is at least its
// 8-byte length, an array its element type and count). Used to bound hostile counts.
uint64_t gguf_value_min_bytes(GgufValueType type);
const char* gguf_value_type_name(GgufValueType type);
// "Q5_K" etc. for messages; "unknown" for numbers ggml does not define.
const char* ggml_type_name(uint32_t ggml_type);

}  // namespace mistralrs
