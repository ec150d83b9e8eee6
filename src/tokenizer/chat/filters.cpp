// Built-in filters on strings and numbers, and the filter registry (sequence filters are in
// filters_seq.cpp).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "tokenizer/chat/builtins.h"
#include "tokenizer/chat/filters_seq.h"
#include "tokenizer/chat/interpreter.h"

namespace mistralrs::chat {
namespace {

Value f_tojson(Interpreter&, const Value& v, const CallArgs& a) {
  JsonStyle st;
  if (const Value* indent = a.get(1, "indent"); indent && !indent->is_none()) {
    st.pretty = true;
    st.item_sep.assign(1, ',');  // assign(): GCC 12 warns (-Wrestrict) on the literal
    if (indent->is_string()) {
      st.indent = indent->s;
    } else {
      int64_t n = arg_int(a, 1, "indent", 0);
      st.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(n, 0, 64)), ' ');
    }
  }
  if (const Value* sep = a.get(2, "separators"); sep && !sep->is_none()) {
    std::vector<Value> parts = iterate(*sep);
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string())
      fail("TypeError: separators must be a pair of strings");
    st.item_sep = parts[0].s;
    st.key_sep = parts[1].s;
  }
  st.sort_keys = arg_bool(a, 3, "sort_keys", false);
  st.ensure_ascii = arg_bool(a, 0, "ensure_ascii", false);
  return Value::string(to_json(v, st));
}

Value f_string(Interpreter&, const Value& v, const CallArgs&) {
  Value r = Value::string(to_str(v));
  r.markup = v.markup;
  return r;
}
Value f_upper(Interpreter&, const Value& v, const CallArgs&) { return Value::string(py_upper(to_str(v))); }
Value f_lower(Interpreter&, const Value& v, const CallArgs&) { return Value::string(py_lower(to_str(v))); }
Value f_capitalize(Interpreter&, const Value& v, const CallArgs&) { return Value::string(py_capitalize(to_str(v))); }
Value f_safe(Interpreter&, const Value& v, const CallArgs&) {
  Value r = Value::string(to_str(v));
  r.markup = true;
  return r;
}

Value f_trim(Interpreter&, const Value& v, const CallArgs& a) {
  return Value::string(py_strip(to_str(v), a.get(0, "chars"), true, true));
}

Value f_title(Interpreter&, const Value& v, const CallArgs&) { return Value::string(jinja_title(to_str(v))); }

Value f_replace(Interpreter&, const Value& v, const CallArgs& a) {
  std::string old = to_str(a.get(0, "old") ? *a.get(0, "old") : Value());
  std::string repl = to_str(a.get(1, "new") ? *a.get(1, "new") : Value());
  return Value::string(py_replace(to_str(v), old, repl, arg_int(a, 2, "count", -1)));
}

Value f_default(Interpreter&, const Value& v, const CallArgs& a) {
  bool boolean = arg_bool(a, 1, "boolean", false);
  if (v.is_undefined() || (boolean && !truthy(v))) {
    const Value* d = a.get(0, "default_value");
    return d ? *d : Value::string("");
  }
  return v;
}

Value f_int(Interpreter&, const Value& v, const CallArgs& a) {
  require_defined(v);  // Undefined.__int__ raises
  const Value* d = a.get(0, "default");
  Value fallback = d ? *d : Value::integer(0);
  switch (v.kind) {
    case Kind::kInt: return v;
    case Kind::kBool: return Value::integer(v.b);
    case Kind::kFloat:
      if (!std::isfinite(v.f) || std::fabs(v.f) >= 9.2e18) return fallback;
      return Value::integer(static_cast<int64_t>(v.f));
    case Kind::kString: {
      std::string s = py_strip(v.s, nullptr, true, true);
      int64_t base = arg_int(a, 1, "base", 10);
      if (s.empty() || base < 2 || base > 36) return fallback;
      errno = 0;
      char* end = nullptr;
      long long n = std::strtoll(s.c_str(), &end, static_cast<int>(base));
      if (end && *end == '\0' && errno == 0) return Value::integer(n);
      double x = std::strtod(s.c_str(), &end);  // "42.23"|int == 42
      if (end && *end == '\0' && std::isfinite(x) && std::fabs(x) < 9.2e18) return Value::integer(static_cast<int64_t>(x));
      return fallback;
    }
    default: return fallback;
  }
}

Value f_float(Interpreter&, const Value& v, const CallArgs& a) {
  require_defined(v);  // Undefined.__float__ raises
  const Value* d = a.get(0, "default");
  Value fallback = d ? *d : Value::number(0.0);
  if (v.kind == Kind::kFloat) return v;
  if (v.kind == Kind::kInt || v.kind == Kind::kBool) return Value::number(static_cast<double>(v.kind == Kind::kBool ? v.b : v.i));
  if (v.is_string()) {
    std::string s = py_strip(v.s, nullptr, true, true);
    char* end = nullptr;
    double x = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return Value::number(x);
  }
  return fallback;
}

Value f_abs(Interpreter&, const Value& v, const CallArgs&) {
  if (v.kind == Kind::kFloat) return Value::number(std::fabs(v.f));
  if (v.kind == Kind::kInt) {
    if (v.i == INT64_MIN) fail("OverflowError: integer result does not fit in 64 bits");
    return Value::integer(v.i < 0 ? -v.i : v.i);
  }
  if (v.kind == Kind::kBool) return Value::integer(v.b);
  require_defined(v);
  fail("TypeError: bad operand type for abs(): '" + type_name(v) + "'");
}

Value f_round(Interpreter&, const Value& v, const CallArgs& a) {
  int64_t precision = arg_int(a, 0, "precision", 0);
  std::string method = arg_str(a, 1, "method", "common");
  if (method != "common" && method != "ceil" && method != "floor")
    fail("TypeError: method must be common, ceil or floor");
  if (!v.is_number()) {
    require_defined(v);
    fail("TypeError: type " + type_name(v) + " doesn't define __round__ method");
  }
  if (v.kind != Kind::kFloat && method == "common") return Value::integer(v.kind == Kind::kBool ? v.b : v.i);
  double x = v.kind == Kind::kFloat ? v.f : static_cast<double>(v.kind == Kind::kBool ? v.b : v.i);
  double scale = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(precision, -308, 308)));
  double y = x * scale;
  y = method == "ceil" ? std::ceil(y) : method == "floor" ? std::floor(y) : std::nearbyint(y);
  return Value::number(y / scale);
}

Value f_indent(Interpreter&, const Value& v, const CallArgs& a) {
  if (!v.is_string()) {  // jinja appends "\n" to the value, which only works on strings
    require_defined(v);
    fail("TypeError: unsupported operand type(s) for +=: '" + type_name(v) + "' and 'str'");
  }
  std::string pad;
  const Value* w = a.get(0, "width");
  if (w && w->is_string()) pad = w->s;
  else pad = std::string(static_cast<size_t>(std::clamp<int64_t>(arg_int(a, 0, "width", 4), 0, 256)), ' ');
  bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
  std::string s = to_str(v) + "\n", out;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] != '\n' && s[k] != '\r') continue;
    parts.push_back(s.substr(start, k - start));
    if (s[k] == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
    start = k + 1;
  }
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += "\n";
    if (k > 0 && (blank || !parts[k].empty())) out += pad;
    out += parts[k];
  }
  return Value::string(first ? pad + out : out);
}

Value f_wordcount(Interpreter&, const Value& v, const CallArgs&) {
  std::string s = to_str(v);
  int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    bool w = std::isalnum(c) || c == '_' || c >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Value f_escape(Interpreter&, const Value& v, const CallArgs&) {
  if (v.markup) return v;
  Value r = Value::string(html_escape(to_str(v)));
  r.markup = true;
  return r;
}

Value f_forceescape(Interpreter&, const Value& v, const CallArgs&) {
  Value r = Value::string(html_escape(to_str(v)));
  r.markup = true;
  return r;
}

Value f_striptags(Interpreter&, const Value& v, const CallArgs&) {
  std::string s = to_str(v), text;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '<') {
      size_t e = s.find('>', k);
      if (e != std::string::npos) {
        k = e;
        continue;
      }
    }
    text += s[k];
  }
  std::vector<Value> words = py_split(text, nullptr, -1, false);
  std::string out;
  for (const Value& w : words) out += (out.empty() ? "" : " ") + w.s;
  return Value::string(out);
}

Value f_format(Interpreter&, const Value& v, const CallArgs& a) {
  return python_format(to_str(v), Value::make_list(a.positional, true));
}

Value f_center(Interpreter&, const Value& v, const CallArgs& a) {
  std::string s = to_str(v);
  int64_t width = std::min<int64_t>(arg_int(a, 0, "width", 80), 1 << 20);
  auto len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return Value::string(s);
  int64_t total = width - len, left = total / 2 + (total & width & 1);
  return Value::string(std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(total - left), ' '));
}

struct FilterEntry {
  const char* name;
  FilterFn fn;
};

const FilterEntry kFilters[] = {
    {"tojson", f_tojson}, {"string", f_string}, {"upper", f_upper}, {"lower", f_lower},
    {"capitalize", f_capitalize}, {"title", f_title}, {"trim", f_trim}, {"replace", f_replace},
    {"default", f_default}, {"d", f_default}, {"int", f_int}, {"float", f_float}, {"abs", f_abs},
    {"round", f_round}, {"indent", f_indent}, {"wordcount", f_wordcount}, {"escape", f_escape},
    {"e", f_escape}, {"forceescape", f_forceescape}, {"striptags", f_striptags}, {"format", f_format},
    {"center", f_center}, {"safe", f_safe}, {"length", f_length}, {"count", f_length},
    {"join", f_join}, {"first", f_first}, {"last", f_last}, {"items", f_items}, {"list", f_list},
    {"map", f_map}, {"select", f_select}, {"reject", f_reject}, {"selectattr", f_selectattr},
    {"rejectattr", f_rejectattr}, {"unique", f_unique}, {"sort", f_sort}, {"reverse", f_reverse},
    {"batch", f_batch}, {"dictsort", f_dictsort}, {"min", f_min}, {"max", f_max}, {"sum", f_sum},
    {"attr", f_attr},
};

}  // namespace

FilterFn find_filter(std::string_view name) {
  for (const auto& f : kFilters)
    if (name == f.name) return f.fn;
  return nullptr;
}

Value Interpreter::apply_filter(const std::string& name, const Value& subject, const CallArgs& args) {
  FilterFn fn = find_filter(name);
  if (!fn) fail("TemplateRuntimeError: no filter named '" + name + "'");
  tick();
  return fn(*this, subject, args);
}

}  // namespace mistralrs::chat
