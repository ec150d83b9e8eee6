// Tokenizers stored in GGUF metadata (tokenizer.ggml.*), and finding the tokenizer that
// belongs to a model path.
#pragma once
#include <memory>
#include <string>

#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

// tokenizer.ggml.model "llama" (SentencePiece-style BPE with scores). Other models are an
// unsupported-status naming the model; no tokenizer.ggml.tokens gives a null tokenizer.
Expected<std::unique_ptr<Tokenizer>> tokenizer_from_gguf(const GgufFile& gguf);

// The tokenizer of a model path: the vocabulary inside a .gguf file. Null when the path
// carries none that this build can read yet (an HF directory's tokenizer.json comes later).
Expected<std::unique_ptr<Tokenizer>> load_tokenizer_for_model(const std::string& path);

}  // namespace mistralrs
