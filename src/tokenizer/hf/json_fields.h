// Non-throwing field readers for tokenizer.json objects. An absent (or null) field leaves the
// default in place; a field of the wrong type is an invalid_argument naming `where` and the key.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// How deep Sequence components (normalizers, pre-tokenizers, decoders, post-processors) may
// nest: real files use one level; a hostile file must not recurse without bound.
constexpr int kMaxNesting = 16;

// The members of a Sequence component at nesting `depth`: obj[key] must be an array, each
// element parsed by parse(element, depth + 1); null results (members that do nothing) are
// dropped. `what` names the component kind in errors ("decoder").
template <class T, class Parse>
Expected<std::vector<std::unique_ptr<T>>> parse_sequence_members(const Json& obj, const char* key,
                                                                 const char* what, int depth,
                                                                 Parse parse) {
  if (depth >= kMaxNesting)
    return invalid_argument(std::string("tokenizer.json: ") + what + " sequences nest too deep");
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array())
    return invalid_argument(std::string("tokenizer.json: Sequence ") + what + " needs a \"" + key +
                            "\" array");
  std::vector<std::unique_ptr<T>> members;
  for (const Json& sub : *it) {
    auto m = parse(sub, depth + 1);
    if (!m) return m.status();
    if (m.value()) members.push_back(std::move(m.value()));
  }
  return members;
}

}  // namespace mistralrs::hf
