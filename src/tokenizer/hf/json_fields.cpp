#include "tokenizer/hf/json_fields.h"

#include "formats/json_util.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {
const Json* field(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status wrong(const std::string& where, const char* key, const char* want, const Json& got) {
  return invalid_argument("tokenizer.json: " + where + "." + key + " must be " + want + ", got " +
                          json_excerpt(got));
}
}  // namespace

Status read_bool(const Json& obj, const char* key, const std::string& where, bool& out) {
  const Json* v = field(obj, key);
  if (!v) return Status::ok();
  if (!v->is_boolean()) return wrong(where, key, "a boolean", *v);
  out = v->get<bool>();
  return Status::ok();
}

Status read_string(const Json& obj, const char* key, const std::string& where, std::string& out) {
  const Json* v = field(obj, key);
  if (!v) return Status::ok();
  if (!v->is_string()) return wrong(where, key, "a string", *v);
  out = v->get<std::string>();
  return Status::ok();
}

Status read_int(const Json& obj, const char* key, const std::string& where, int64_t lo, int64_t hi,
                int64_t& out) {
  const Json* v = field(obj, key);
  if (!v) return Status::ok();
  if (!v->is_number_integer()) return wrong(where, key, "an integer", *v);
  const int64_t x = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
                        ? INT64_MAX
                        : v->get<int64_t>();
  if (x < lo || x > hi) {
    return invalid_argument("tokenizer.json: " + where + "." + key + " = " + std::to_string(x) +
                            " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  out = x;
  return Status::ok();
}

Status read_double(const Json& obj, const char* key, const std::string& where, double& out) {
  const Json* v = field(obj, key);
  if (!v) return Status::ok();
  if (!v->is_number()) return wrong(where, key, "a number", *v);
  out = v->get<double>();
  return Status::ok();
}

Status read_type(const Json& obj, const std::string& where, std::string& type) {
  if (!obj.is_object()) return invalid_argument("tokenizer.json: " + where + " must be an object, got " + json_excerpt(obj));
  type.clear();
  MISTRALRS_RETURN_IF_ERROR(read_string(obj, "type", where, type));
  if (type.empty()) return invalid_argument("tokenizer.json: " + where + " has no \"type\"");
  return Status::ok();
}

Status read_pattern(const Json& obj, const char* key, const std::string& where, std::string& text,
                    bool& is_regex) {
  const Json* v = field(obj, key);
  if (!v || !v->is_object() || v->size() != 1) return invalid_argument("tokenizer.json: " + where + "." + key + " must be {\"String\": ...} or {\"Regex\": ...}");
  const auto it = v->begin();
  if (it.key() != "String" && it.key() != "Regex") return wrong(where, key, "a String or Regex pattern", *v);
  if (!it.value().is_string()) return wrong(where, key, "a pattern string", *v);
  is_regex = it.key() == "Regex";
  text = it.value().get<std::string>();
  return Status::ok();
}

Status read_char(const Json& obj, const char* key, const std::string& where, std::string& out) {
  std::string s = out;
  MISTRALRS_RETURN_IF_ERROR(read_string(obj, key, where, s));
  size_t i = 0;
  if (s.empty() || !is_valid_utf8(s) || (next_char(s, i), i != s.size())) {
    return invalid_argument("tokenizer.json: " + where + "." + key + " must be one character, got '" + s + "'");
  }
  out = s;
  return Status::ok();
}

}  // namespace mistralrs::hf
