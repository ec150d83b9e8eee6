#include "tokenizer/chat/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace mistralrs::chat {

void fail(std::string message) { throw TemplateError(std::move(message)); }

const Value* CallArgs::get(size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [k, v] : named)
    if (k == name) return &v;
  return nullptr;
}

Value Value::undefined(std::string error) {
  Value v;
  v.s = std::move(error);
  return v;
}

Value Value::make_list(std::vector<Value> items, bool tuple) {
  Value v;
  v.kind = Kind::kList;
  v.list = std::make_shared<ListData>();
  int depth = 1;
  for (const Value& item : items) depth = std::max(depth, 1 + nesting(item));
  if (depth > kMaxValueDepth) fail("RecursionError: value is nested too deeply");
  v.list->items = std::move(items);
  v.list->tuple = tuple;
  v.list->depth = depth;
  return v;
}

Value Value::make_dict() {
  Value v;
  v.kind = Kind::kDict;
  v.dict = std::make_shared<DictData>();
  return v;
}

Value Value::function(std::string name, std::function<Value(CallArgs&)> call) {
  Value v;
  v.kind = Kind::kFunction;
  v.fn = std::make_shared<Function>(Function{std::move(name), std::move(call)});
  return v;
}

bool Value::is_namespace() const { return kind == Kind::kDict && dict->is_namespace; }
bool Value::is_tuple() const { return kind == Kind::kList && list->tuple; }

std::string dict_key(const Value& key) {
  switch (key.kind) {
    case Kind::kString: return "s" + key.s;
    case Kind::kBool: return "n" + std::to_string(key.b ? 1 : 0);
    case Kind::kInt: return "n" + std::to_string(key.i);
    case Kind::kFloat:
      if (std::isfinite(key.f) && key.f == std::trunc(key.f) && std::fabs(key.f) < 9e18)
        return "n" + std::to_string(static_cast<int64_t>(key.f));
      return "f" + float_repr(key.f);
    case Kind::kNone: return "none";
    case Kind::kList:
      if (key.list->tuple) {
        std::string k = "t(";
        for (const Value& item : key.list->items) k += dict_key(item) + ",";
        return k + ")";
      }
      break;
    default: break;
  }
  fail("TypeError: unhashable type: '" + type_name(key) + "'");
}

const Value* DictData::find(const Value& key) const {
  auto it = index.find(dict_key(key));
  return it == index.end() ? nullptr : &entries[it->second].second;
}

const Value* DictData::find(const std::string& key) const {
  auto it = index.find("s" + key);
  return it == index.end() ? nullptr : &entries[it->second].second;
}

int nesting(const Value& v) {
  if (v.kind == Kind::kList) return v.list->depth;
  if (v.kind == Kind::kDict) return v.dict->depth;
  return 0;
}

void DictData::set(const Value& key, Value value) {
  int d = 1 + std::max(nesting(key), nesting(value));
  if (d > kMaxValueDepth) fail("RecursionError: value is nested too deeply");
  depth = std::max(depth, d);
  std::string k = dict_key(key);
  auto it = index.find(k);
  if (it != index.end()) {
    entries[it->second].second = std::move(value);
    return;
  }
  index.emplace(std::move(k), entries.size());
  entries.emplace_back(key, std::move(value));
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: case Kind::kNone: return false;
    case Kind::kBool: return v.b;
    case Kind::kInt: return v.i != 0;
    case Kind::kFloat: return v.f != 0.0;
    case Kind::kString: return !v.s.empty();
    case Kind::kList: return v.list->generator || !v.list->items.empty();
    case Kind::kDict: return v.dict->is_namespace || !v.dict->entries.empty();
    case Kind::kFunction: return true;
  }
  return false;
}

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return v.list->generator ? "generator" : v.list->tuple ? "tuple" : "list";
    case Kind::kDict: return v.dict->is_namespace ? "Namespace" : "dict";
    case Kind::kFunction: return "function";
  }
  return "object";
}

std::string float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout: fixed for 1e-4 <= |x| < 1e16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (digits.size() <= static_cast<size_t>(exp) + 1) {
      out += digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return out + ebuf;
}

static bool printable(char32_t cp) {
  if (cp < 0x20 || cp == 0x7f) return false;
  if (cp >= 0x80 && cp <= 0xa0) return false;
  if (cp == 0xad || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff) return false;
  if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064)) return false;
  return true;
}

static std::string repr_string(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos, has_double = s.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t cp : utf8_decode(s)) {
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') { out += "\\n";
    } else if (cp == '\r') { out += "\\r";
    } else if (cp == '\t') { out += "\\t";
    } else if (!printable(cp)) {
      char buf[16];
      if (cp < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      else std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      utf8_append(out, cp);
    }
  }
  out += quote;
  return out;
}

std::string repr(const Value& v, int depth) {
  if (depth > kMaxValueDepth) fail("RecursionError: value is nested too deeply");
  switch (v.kind) {
    case Kind::kString: return repr_string(v.s);
    case Kind::kUndefined: return "Undefined";
    case Kind::kList: {
      if (v.list->generator) return "<generator object>";
      const auto& items = v.list->items;
      std::string out = v.list->tuple ? "(" : "[";
      for (size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + repr(items[k], depth + 1);
      if (v.list->tuple && items.size() == 1) out += ",";
      return out + (v.list->tuple ? ")" : "]");
    }
    case Kind::kDict: {
      std::string out = v.dict->is_namespace ? "<Namespace {" : "{";
      bool first = true;
      for (const auto& [k, val] : v.dict->entries) {
        out += (first ? "" : ", ") + repr(k, depth + 1) + ": " + repr(val, depth + 1);
        first = false;
      }
      return out + (v.dict->is_namespace ? "}>" : "}");
    }
    default: return to_str(v);
  }
}

std::string to_str(const Value& v) {
  switch (v.kind) {
    case Kind::kUndefined: return "";
    case Kind::kNone: return "None";
    case Kind::kBool: return v.b ? "True" : "False";
    case Kind::kInt: return std::to_string(v.i);
    case Kind::kFloat: return float_repr(v.f);
    case Kind::kString: return v.s;
    case Kind::kFunction: return v.fn->is_macro ? "<Macro '" + v.fn->name + "'>" : "<function " + v.fn->name + ">";
    default: return repr(v);
  }
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void require_defined(const Value& v) {
  if (v.is_undefined()) fail(v.s.empty() ? "UndefinedError: value is undefined" : v.s);
}

bool equals(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) fail("RecursionError: value is nested too deeply");
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) {
      double x = a.kind == Kind::kFloat ? a.f : static_cast<double>(a.kind == Kind::kBool ? a.b : a.i);
      double y = b.kind == Kind::kFloat ? b.f : static_cast<double>(b.kind == Kind::kBool ? b.b : b.i);
      return x == y;
    }
    int64_t x = a.kind == Kind::kBool ? a.b : a.i, y = b.kind == Kind::kBool ? b.b : b.i;
    return x == y;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::kUndefined: case Kind::kNone: return true;
    case Kind::kString: return a.s == b.s;
    case Kind::kList: {
      if (a.list->tuple != b.list->tuple || a.list->items.size() != b.list->items.size()) return false;
      for (size_t k = 0; k < a.list->items.size(); ++k)
        if (!equals(a.list->items[k], b.list->items[k], depth + 1)) return false;
      return true;
    }
    case Kind::kDict: {
      if (a.dict == b.dict) return true;
      if (a.dict->is_namespace || b.dict->is_namespace) return false;
      if (a.dict->entries.size() != b.dict->entries.size()) return false;
      for (const auto& [k, val] : a.dict->entries) {
        const Value* other = b.dict->find(k);
        if (!other || !equals(val, *other, depth + 1)) return false;
      }
      return true;
    }
    case Kind::kFunction: return a.fn == b.fn;
    default: return false;
  }
}

int compare(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) fail("RecursionError: value is nested too deeply");
  if (a.is_number() && b.is_number()) {
    if (a.kind != Kind::kFloat && b.kind != Kind::kFloat) {
      int64_t x = a.kind == Kind::kBool ? a.b : a.i, y = b.kind == Kind::kBool ? b.b : b.i;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    double x = a.kind == Kind::kFloat ? a.f : static_cast<double>(a.kind == Kind::kBool ? a.b : a.i);
    double y = b.kind == Kind::kFloat ? b.f : static_cast<double>(b.kind == Kind::kBool ? b.b : b.i);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.s.compare(b.s);  // UTF-8 byte order equals code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.list->tuple == b.list->tuple) {
    const auto &x = a.list->items, &y = b.list->items;
    for (size_t k = 0; k < x.size() && k < y.size(); ++k)
      if (!equals(x[k], y[k], depth + 1)) return compare(x[k], y[k], depth + 1);
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  require_defined(a);
  require_defined(b);
  fail("TypeError: '<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

std::vector<char32_t> utf8_decode(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t k = 0; k < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[k]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || k + n > s.size()) {  // invalid byte: keep it as U+FFFD
      out.push_back(0xfffd);
      ++k;
      continue;
    }
    char32_t cp = n == 1 ? c : (c & (0xff >> (n + 1)));
    for (int m = 1; m < n; ++m) cp = (cp << 6) | (static_cast<unsigned char>(s[k + m]) & 0x3f);
    out.push_back(cp);
    k += n;
  }
  return out;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::string utf8_encode(const std::vector<char32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t k = begin; k < end && k < cps.size(); ++k) utf8_append(out, cps[k]);
  return out;
}

size_t utf8_length(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) ascii = ascii && c < 0x80;
  return ascii ? s.size() : utf8_decode(s).size();
}

}  // namespace mistralrs::chat
