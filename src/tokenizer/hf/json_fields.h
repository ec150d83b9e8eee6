// Non-throwing field readers for tokenizer.json objects. An absent (or null) field leaves the
// default in place; a field of the wrong type is an invalid_argument naming `where` and the key.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mistralrs::hf {

using Json = nlohmann::json;

Status read_bool(const Json& obj, const char* key, const std::string& where, bool& out);
Status read_string(const Json& obj, const char* key, const std::string& where, std::string& out);
// Integers in [lo, hi].
Status read_int(const Json& obj, const char* key, const std::string& where, int64_t lo, int64_t hi,
                int64_t& out);
Status read_double(const Json& obj, const char* key, const std::string& where, double& out);
// `obj` must be an object with a string "type"; returns it in `type`.
Status read_type(const Json& obj, const std::string& where, std::string& type);
// The string of a {"String": s} or {"Regex": r} pattern object.
Status read_pattern(const Json& obj, const char* key, const std::string& where, std::string& text,
                    bool& is_regex);
// A single character (one Unicode scalar) given as a string.
Status read_char(const Json& obj, const char* key, const std::string& where, std::string& out);

}  // namespace mistralrs::hf
