// Values of the chat-template engine, with Python semantics: str(), repr(), truthiness,
// equality and ordering behave as CPython does for the types a template can hold.
#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mistralrs::chat {

// Thrown inside the engine only; render_template() turns it into a Status.
class TemplateError : public std::exception {
 public:
  explicit TemplateError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

[[noreturn]] void fail(std::string message);

enum class Kind : uint8_t { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kFunction };

constexpr int kMaxValueDepth = 512;

struct Value;
struct ListData;
struct DictData;
struct Function;

// Arguments of a call: positional values and keyword values in call order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;
  // The argument at `index` or named `name`; nullptr when absent.
  const Value* get(size_t index, std::string_view name) const;
};

struct Value {
  Kind kind = Kind::kUndefined;
  bool b = false;
  bool markup = false;  // a string marked safe (markupsafe.Markup): `+` escapes plain operands
  int64_t i = 0;
  double f = 0.0;
  std::string s;  // a string; for an undefined value, the error raised when it is used
  std::shared_ptr<ListData> list;
  std::shared_ptr<DictData> dict;
  std::shared_ptr<Function> fn;

  static Value undefined(std::string error);
  static Value none() { Value v; v.kind = Kind::kNone; return v; }
  static Value boolean(bool x) { Value v; v.kind = Kind::kBool; v.b = x; return v; }
  static Value integer(int64_t x) { Value v; v.kind = Kind::kInt; v.i = x; return v; }
  static Value number(double x) { Value v; v.kind = Kind::kFloat; v.f = x; return v; }
  static Value string(std::string x) { Value v; v.kind = Kind::kString; v.s = std::move(x); return v; }
  static Value make_list(std::vector<Value> items, bool tuple = false);
  static Value make_dict();
  static Value function(std::string name, std::function<Value(CallArgs&)> call);

  bool is_undefined() const { return kind == Kind::kUndefined; }
  bool is_none() const { return kind == Kind::kNone; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_dict() const { return kind == Kind::kDict; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool; }
  bool is_namespace() const;
  bool is_tuple() const;
};

struct ListData {
  std::vector<Value> items;
  bool tuple = false;
  bool generator = false;  // the result of map/select/...: no len(), no JSON, always true
  int depth = 1;  // nesting depth, bounded by kMaxValueDepth
};

// An insertion-ordered dict (Python 3.7+ order). Keys are strings, numbers, booleans or None.
struct DictData {
  std::vector<std::pair<Value, Value>> entries;
  std::unordered_map<std::string, size_t> index;  // dict_key() -> position in entries
  bool is_namespace = false;  // namespace(): attributes may be assigned with {% set ns.x %}
  int depth = 1;              // nesting depth, bounded by kMaxValueDepth

  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(const Value& key, Value value);
};

struct Function {
  std::string name;
  std::function<Value(CallArgs&)> call;
  bool is_macro = false;  // printed as <Macro 'name'>
};

// The canonical lookup key of a dict key (1, 1.0 and True are the same key, as in Python).
std::string dict_key(const Value& key);

// 0 for scalars, 1 + the deepest child for lists and dicts.
int nesting(const Value& v);
bool truthy(const Value& v);
std::string type_name(const Value& v);        // Python's type(v).__name__
std::string to_str(const Value& v);           // Python str(v); undefined -> ""
std::string html_escape(const std::string& s);  // markupsafe.escape: & < > " '
std::string repr(const Value& v, int depth = 0);  // Python repr(v)
std::string float_repr(double x);             // Python repr(float)
bool equals(const Value& a, const Value& b, int depth = 0);  // Python ==
// Python <, ==, > as -1, 0, 1; TemplateError when unorderable.
int compare(const Value& a, const Value& b, int depth = 0);
// Raises the stored UndefinedError when `v` is undefined.
void require_defined(const Value& v);

// JSON -> Value. ordered_json keeps the object key order, as Python's json.loads does.
Value from_json(const nlohmann::json& j, int depth = 0);
Value from_json(const nlohmann::ordered_json& j, int depth = 0);
// json.dumps(v, ensure_ascii=False, indent=indent, separators=...). indent: "" = no indent.
struct JsonStyle {
  bool pretty = false;
  std::string indent;
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;  // escape non-ASCII as \uXXXX (surrogate pairs above U+FFFF)
};
std::string to_json(const Value& v, const JsonStyle& style);

// UTF-8 helpers: strings are stored as UTF-8, indexed by code point like Python str.
std::vector<char32_t> utf8_decode(std::string_view s);
std::string utf8_encode(const std::vector<char32_t>& cps, size_t begin, size_t end);
void utf8_append(std::string& out, char32_t cp);
size_t utf8_length(std::string_view s);

}  // namespace mistralrs::chat
