// Attribute and item lookup under jinja's ImmutableSandboxedEnvironment, and the Python
// methods of str, list and dict that templates call.
#include <algorithm>
#include <cctype>

#include "tokenizer/chat/builtins.h"
#include "tokenizer/chat/interpreter.h"

namespace mistralrs::chat {
namespace {

Value missing_attr(const Value& obj, const std::string& name) {
  return Value::undefined("UndefinedError: '" + type_name(obj) + " object' has no attribute '" + name + "'");
}

Value unsafe(const Value& obj, const std::string& name) {
  return Value::undefined("SecurityError: access to attribute '" + name + "' of '" + type_name(obj) +
                          "' object is unsafe.");
}

const std::string& str_arg(const CallArgs& args, size_t index, std::string_view name, const char* method) {
  const Value* v = args.get(index, name);
  if (!v || !v->is_string())
    fail(std::string("TypeError: ") + method + "() argument must be str, not " + (v ? type_name(*v) : "nothing"));
  return v->s;
}

// str.startswith / endswith with an optional [start, end) window in code points.
bool starts_or_ends(const std::string& str, const CallArgs& a, bool ends, const char* method) {
  const Value* what = a.get(0, ends ? "suffix" : "prefix");
  if (!what) fail(std::string("TypeError: ") + method + "() takes at least 1 argument (0 given)");
  std::string s = str;
  if (a.positional.size() > 1) {
    std::vector<char32_t> cps = utf8_decode(str);
    auto n = static_cast<int64_t>(cps.size());
    auto clamp_index = [n](int64_t x) { return std::clamp<int64_t>(x < 0 ? x + n : x, 0, n); };
    int64_t b = clamp_index(arg_int(a, 1, "start", 0)), e = clamp_index(arg_int(a, 2, "end", n));
    if (b > e) return false;
    s = utf8_encode(cps, static_cast<size_t>(b), static_cast<size_t>(e));
  }
  auto test = [&](const Value& p) {
    if (!p.is_string()) fail(std::string("TypeError: ") + method + " first arg must be str or a tuple of str, not " + type_name(p));
    if (p.s.size() > s.size()) return false;
    return ends ? s.compare(s.size() - p.s.size(), p.s.size(), p.s) == 0 : s.compare(0, p.s.size(), p.s) == 0;
  };
  if (what->is_tuple()) return std::any_of(what->list->items.begin(), what->list->items.end(), test);
  return test(*what);
}

int64_t count_of(const std::string& s, const std::string& sub) {
  if (sub.empty()) return static_cast<int64_t>(utf8_length(s)) + 1;
  int64_t n = 0;
  for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
  return n;
}

// "{} {0} {name}".format(...): replacement fields without format specs.
std::string py_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t k = 0; k < fmt.size(); ++k) {
    char c = fmt[k];
    if ((c == '{' || c == '}') && k + 1 < fmt.size() && fmt[k + 1] == c) {
      out += c;
      ++k;
      continue;
    }
    if (c == '}') fail("ValueError: single '}' encountered in format string");
    if (c != '{') {
      out += c;
      continue;
    }
    size_t close = fmt.find('}', k);
    if (close == std::string::npos) fail("ValueError: single '{' encountered in format string");
    std::string field = fmt.substr(k + 1, close - k - 1);
    if (field.find_first_of(":!") != std::string::npos) fail("ValueError: format specs are not supported in str.format");
    const Value* v = nullptr;
    if (field.empty()) {
      v = auto_index < args.positional.size() ? &args.positional[auto_index] : nullptr;
      ++auto_index;
    } else if (std::all_of(field.begin(), field.end(), ::isdigit) && field.size() < 9) {
      size_t idx = std::stoul(field);
      v = idx < args.positional.size() ? &args.positional[idx] : nullptr;
    } else {
      for (const auto& [name, val] : args.named)
        if (name == field) v = &val;
    }
    if (!v) fail("IndexError: replacement field {" + field + "} has no argument");
    out += to_str(*v);
    k = close;
  }
  return out;
}

Value string_method(const Value& obj, const std::string& name, const CallArgs& a) {
  const std::string& s = obj.s;
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return Value::string(py_strip(s, a.get(0, "chars"), name != "rstrip", name != "lstrip"));
  if (name == "split" || name == "rsplit")
    return Value::make_list(py_split(s, a.get(0, "sep"), arg_int(a, 1, "maxsplit", -1), name == "rsplit"));
  if (name == "startswith") return Value::boolean(starts_or_ends(s, a, false, "startswith"));
  if (name == "endswith") return Value::boolean(starts_or_ends(s, a, true, "endswith"));
  if (name == "center" || name == "ljust" || name == "rjust") {
    int64_t width = std::min<int64_t>(arg_int(a, 0, "width", 0), 1 << 20);
    std::string fill = arg_str(a, 1, "fillchar", " ");
    if (utf8_length(fill) != 1) fail("TypeError: The fill character must be exactly one character long");
    auto len = static_cast<int64_t>(utf8_length(s));
    if (width <= len) return Value::string(s);
    int64_t total = width - len;
    int64_t left = name == "ljust" ? 0 : name == "rjust" ? total : total / 2 + (total & width & 1);
    std::string out;
    for (int64_t k = 0; k < left; ++k) out += fill;
    out += s;
    for (int64_t k = left; k < total; ++k) out += fill;
    return Value::string(std::move(out));
  }
  if (name == "replace")
    return Value::string(py_replace(s, str_arg(a, 0, "old", "replace"), str_arg(a, 1, "new", "replace"), arg_int(a, 2, "count", -1)));
  if (name == "upper") return Value::string(py_upper(s));
  if (name == "lower" || name == "casefold") return Value::string(py_lower(s));
  if (name == "title") return Value::string(py_title(s));
  if (name == "capitalize") return Value::string(py_capitalize(s));
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    const std::string& sub = str_arg(a, 0, "sub", name.c_str());
    size_t p = name[0] == 'r' ? s.rfind(sub) : s.find(sub);
    if (p == std::string::npos) {
      if (name.find("index") != std::string::npos) fail("ValueError: substring not found");
      return Value::integer(-1);
    }
    return Value::integer(static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, p))));
  }
  if (name == "count") return Value::integer(count_of(s, str_arg(a, 0, "sub", "count")));
  if (name == "join") {
    const Value* it = a.get(0, "iterable");
    if (!it) fail("TypeError: join() takes exactly one argument (0 given)");
    std::string out;
    bool first = true;
    for (const Value& v : iterate(*it)) {
      if (!v.is_string()) fail("TypeError: sequence item: expected str instance, " + type_name(v) + " found");
      if (!first) out += s;
      out += v.s;
      first = false;
    }
    return Value::string(std::move(out));
  }
  if (name == "format") return Value::string(py_format(s, a));
  if (name == "removeprefix" || name == "removesuffix") {
    const std::string& fix = str_arg(a, 0, "fix", name.c_str());
    bool pre = name == "removeprefix";
    if (fix.size() <= s.size() && (pre ? s.compare(0, fix.size(), fix) == 0 : s.compare(s.size() - fix.size(), fix.size(), fix) == 0))
      return Value::string(pre ? s.substr(fix.size()) : s.substr(0, s.size() - fix.size()));
    return Value::string(s);
  }
  if (name == "splitlines") {
    std::vector<Value> lines;
    size_t start = 0;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] != '\n' && s[k] != '\r') continue;
      lines.push_back(Value::string(s.substr(start, k - start)));
      if (s[k] == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
      start = k + 1;
    }
    if (start < s.size()) lines.push_back(Value::string(s.substr(start)));
    return Value::make_list(std::move(lines));
  }
  auto all = [&](int (*pred)(int)) {
    return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; }));
  };
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") return all(::isdigit);
  if (name == "isalpha") return all(::isalpha);
  if (name == "isalnum") return all(::isalnum);
  if (name == "isspace") return all(::isspace);
  if (name == "isupper") return Value::boolean(py_isupper(s));
  if (name == "islower") return Value::boolean(py_islower(s));
  fail("internal error: unknown str method " + name);
}

const char* const kStringMethods[] = {
    "strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "replace", "upper", "lower",
    "casefold", "title", "capitalize", "find", "rfind", "index", "rindex", "count", "join", "format",
    "removeprefix", "removesuffix", "splitlines", "isdigit", "isnumeric", "isdecimal", "isalpha",
    "isalnum", "isspace", "isupper", "islower", "center", "ljust", "rjust"};
const char* const kListUnsafe[] = {"append", "clear", "pop", "reverse", "insert", "sort", "extend", "remove"};
const char* const kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};

template <size_t N>
bool in_list(const char* const (&names)[N], const std::string& name) {
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

Value bind(const Value& obj, const std::string& name, Value (*method)(const Value&, const std::string&, const CallArgs&)) {
  return Value::function(type_name(obj) + "." + name, [obj, name, method](CallArgs& args) { return method(obj, name, args); });
}

Value list_method(const Value& obj, const std::string& name, const CallArgs& a) {
  const Value* x = a.get(0, "value");
  if (!x) fail("TypeError: " + name + "() takes exactly one argument (0 given)");
  const auto& items = obj.list->items;
  if (name == "count") return Value::integer(std::count_if(items.begin(), items.end(), [&](const Value& v) { return equals(v, *x); }));
  for (size_t k = 0; k < items.size(); ++k)
    if (equals(items[k], *x)) return Value::integer(static_cast<int64_t>(k));
  fail("ValueError: " + repr(*x) + " is not in list");
}

Value dict_method(const Value& obj, const std::string& name, const CallArgs& a) {
  const auto& entries = obj.dict->entries;
  if (name == "get") {
    const Value* key = a.get(0, "key");
    if (!key) fail("TypeError: get expected at least 1 argument, got 0");
    const Value* found = obj.dict->find(*key);
    if (found) return *found;
    const Value* fallback = a.get(1, "default");
    return fallback ? *fallback : Value::none();
  }
  if (name == "copy") {
    Value d = Value::make_dict();
    for (const auto& [k, v] : entries) d.dict->set(k, v);
    return d;
  }
  std::vector<Value> out;
  for (const auto& [k, v] : entries) {
    if (name == "keys") out.push_back(k);
    else if (name == "values") out.push_back(v);
    else out.push_back(Value::make_list({k, v}, true));
  }
  return Value::make_list(std::move(out));
}

}  // namespace

Value get_attr(const Value& obj, const std::string& name) {
  switch (obj.kind) {
    case Kind::kString:
      if (in_list(kStringMethods, name)) return bind(obj, name, string_method);
      break;
    case Kind::kList:
      if (name == "index" || name == "count") return bind(obj, name, list_method);
      if (in_list(kListUnsafe, name)) return unsafe(obj, name);
      break;
    case Kind::kDict:
      if (obj.dict->is_namespace) {
        const Value* v = obj.dict->find(name);
        return v ? *v : missing_attr(obj, name);
      }
      if (name == "items" || name == "keys" || name == "values" || name == "get" || name == "copy")
        return bind(obj, name, dict_method);
      if (in_list(kDictUnsafe, name)) return unsafe(obj, name);
      if (const Value* v = obj.dict->find(name)) return *v;
      break;
    default: break;
  }
  if (!name.empty() && name[0] == '_' && name.size() > 1 && name[1] == '_') return unsafe(obj, name);
  return missing_attr(obj, name);
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_list() && obj.list->generator)  // jinja turns the TypeError into undefined
    return Value::undefined("UndefinedError: 'generator' object is not subscriptable");
  bool int_key = key.kind == Kind::kInt || key.kind == Kind::kBool;
  if ((obj.is_list() || obj.is_string()) && int_key) {
    int64_t idx = key.kind == Kind::kBool ? key.b : key.i;
    if (obj.is_list()) {
      auto n = static_cast<int64_t>(obj.list->items.size());
      if (idx < 0) idx += n;
      if (idx >= 0 && idx < n) return obj.list->items[static_cast<size_t>(idx)];
    } else {
      std::vector<char32_t> cps = utf8_decode(obj.s);
      auto n = static_cast<int64_t>(cps.size());
      if (idx < 0) idx += n;
      if (idx >= 0 && idx < n) return Value::string(utf8_encode(cps, static_cast<size_t>(idx), static_cast<size_t>(idx) + 1));
    }
    return Value::undefined("UndefinedError: " + type_name(obj) + " object has no element " + to_str(key));
  }
  if (obj.is_dict() && !obj.dict->is_namespace) {
    if (key.is_list() && !key.is_tuple()) fail("TypeError: unhashable type: 'list'");
    if (key.is_dict()) fail("TypeError: unhashable type: 'dict'");
    if (const Value* v = obj.dict->find(key)) return *v;
  }
  if (key.is_string()) return get_attr(obj, key.s);
  return Value::undefined("UndefinedError: " + type_name(obj) + " object has no element " + repr(key));
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return {};
    case Kind::kList: return v.list->items;
    case Kind::kString: {
      std::vector<Value> out;
      std::vector<char32_t> cps = utf8_decode(v.s);
      for (size_t k = 0; k < cps.size(); ++k) out.push_back(Value::string(utf8_encode(cps, k, k + 1)));
      return out;
    }
    case Kind::kDict: {
      if (v.dict->is_namespace) break;
      std::vector<Value> out;
      for (const auto& [k, val] : v.dict->entries) out.push_back(k);
      return out;
    }
    default: break;
  }
  fail("TypeError: '" + type_name(v) + "' object is not iterable");
}

int64_t length_of(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return 0;
    case Kind::kString: return static_cast<int64_t>(utf8_length(v.s));
    case Kind::kList:
      if (!v.list->generator) return static_cast<int64_t>(v.list->items.size());
      break;
    case Kind::kDict:
      if (!v.dict->is_namespace) return static_cast<int64_t>(v.dict->entries.size());
      break;
    default: break;
  }
  fail("TypeError: object of type '" + type_name(v) + "' has no len()");
}

}  // namespace mistralrs::chat
