#include "formats/json_util.h"

#include <exception>

namespace mistralrs {

namespace {
// Nesting depth of brackets outside string literals; cheap enough to run before parsing.
bool nesting_within(const char* text, size_t size, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // skip the escaped character (an escaped quote does not end the string)
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}
}  // namespace

bool json_parse(const char* text, size_t size, nlohmann::json& out, std::string& error) {
  if (!nesting_within(text, size, kMaxJsonDepth)) {
    error = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  try {
    out = nlohmann::json::parse(text, text + size);
    return true;
  } catch (const std::exception& e) {
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at ...": keep the
    // readable part. Besides syntax errors: number overflow (out_of_range) and bad_alloc.
    std::string m = e.what();
    const size_t cut = m.rfind("] ", 40);
    error = m.rfind("[json.exception.", 0) == 0 && cut != std::string::npos ? m.substr(cut + 2) : m;
  }
  return false;
}

std::string json_type_name(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "a binary value";
  }
}

std::string json_excerpt(const nlohmann::json& j) {
  constexpr size_t kMax = 60;
  std::string s;
  try {
    // replace: invalid UTF-8 inside strings must not make dump() throw.
    s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception&) {
    return json_type_name(j);
  }
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

}  // namespace mistralrs
