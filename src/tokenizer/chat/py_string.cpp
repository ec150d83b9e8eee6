// Python str helpers (strip, split, replace, case mapping) and call-argument helpers.
#include <algorithm>
#include <cctype>

#include "tokenizer/chat/builtins.h"

namespace mistralrs::chat {

static bool py_space(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

std::string py_strip(const std::string& s, const Value* chars, bool left, bool right) {
  std::vector<char32_t> set;
  bool whitespace = !chars || chars->is_none() || chars->is_undefined();
  if (!whitespace) {
    if (!chars->is_string()) fail("TypeError: strip arg must be None or str");
    set = utf8_decode(chars->s);
  }
  std::vector<char32_t> cps = utf8_decode(s);
  auto strip_it = [&](char32_t c) {
    return whitespace ? py_space(c) : std::find(set.begin(), set.end(), c) != set.end();
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_it(cps[b])) ++b;
  if (right)
    while (e > b && strip_it(cps[e - 1])) --e;
  return utf8_encode(cps, b, e);
}

// Simple case mapping for ASCII, Latin-1, Greek and Cyrillic (the one-to-one part of Python's
// tables); other code points are left unchanged.
static char32_t to_upper_cp(char32_t c) {
  if (c < 0x80) return c >= 'a' && c <= 'z' ? c - 32 : c;
  if ((c >= 0xe0 && c <= 0xfe && c != 0xf7) || (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) || (c >= 0x430 && c <= 0x44f))
    return c - 0x20;
  if (c >= 0x450 && c <= 0x45f) return c - 0x50;
  return c;
}

static char32_t to_lower_cp(char32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  if ((c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) || (c >= 0x410 && c <= 0x42f))
    return c + 0x20;
  if (c >= 0x400 && c <= 0x40f) return c + 0x50;
  return c;
}

static std::string map_case(const std::string& s, char32_t (*f)(char32_t)) {
  bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    std::string out = s;
    for (char& c : out) c = static_cast<char>(f(static_cast<unsigned char>(c)));
    return out;
  }
  std::string out;
  for (char32_t c : utf8_decode(s)) {
    if (c == 0xdf && f == to_upper_cp) out += "SS";  // the one common one-to-many mapping
    else utf8_append(out, f(c));
  }
  return out;
}

static bool is_cased(char32_t c) { return to_upper_cp(c) != c || to_lower_cp(c) != c || c == 0xdf; }

std::string py_upper(std::string s) { return map_case(s, to_upper_cp); }

// str.islower / isupper: at least one cased character and none of the other case.
bool py_islower(const std::string& s) {
  bool cased = false;
  for (char32_t c : utf8_decode(s)) {
    if (to_lower_cp(c) != c) return false;
    cased = cased || to_upper_cp(c) != c || c == 0xdf;
  }
  return cased;
}

bool py_isupper(const std::string& s) {
  bool cased = false;
  for (char32_t c : utf8_decode(s)) {
    if (to_upper_cp(c) != c || c == 0xdf) return false;
    cased = cased || to_lower_cp(c) != c;
  }
  return cased;
}

std::string py_title(const std::string& s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : utf8_decode(s)) {
    bool cased = is_cased(c);
    utf8_append(out, cased ? (prev_cased ? to_lower_cp(c) : to_upper_cp(c)) : c);
    prev_cased = cased;
  }
  return out;
}

std::string jinja_title(const std::string& s) {
  std::string out;
  bool start = true;
  for (char32_t c : utf8_decode(s)) {
    bool sep = py_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      utf8_append(out, c);
      start = true;
      continue;
    }
    utf8_append(out, start ? to_upper_cp(c) : to_lower_cp(c));
    start = false;
  }
  return out;
}
std::string py_lower(std::string s) { return map_case(s, to_lower_cp); }

std::string py_capitalize(const std::string& s) {
  std::vector<char32_t> cps = utf8_decode(py_lower(s));
  if (!cps.empty()) cps[0] = to_upper_cp(cps[0]);
  return utf8_encode(cps, 0, cps.size());
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& repl, int64_t count) {
  std::string out;
  if (old.empty()) {  // Python inserts `repl` between every character
    std::vector<char32_t> cps = utf8_decode(s);
    int64_t done = 0;
    for (size_t k = 0; k <= cps.size(); ++k) {
      if (count < 0 || done < count) {
        out += repl;
        ++done;
      }
      if (k < cps.size()) utf8_append(out, cps[k]);
      if (out.size() > (32u << 20)) fail("MemoryError: replace() result is too large");
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  for (size_t p = s.find(old); p != std::string::npos && (count < 0 || done < count); p = s.find(old, pos)) {
    out.append(s, pos, p - pos);
    out += repl;
    pos = p + old.size();
    ++done;
    if (out.size() > (32u << 20)) fail("MemoryError: replace() result is too large");
  }
  out.append(s, pos, std::string::npos);
  return out;
}

std::vector<Value> py_split(const std::string& s, const Value* sep, int64_t maxsplit, bool from_right) {
  std::vector<Value> out;
  if (sep && !sep->is_none()) {
    if (!sep->is_string()) fail("TypeError: must be str or None, not " + type_name(*sep));
    const std::string& d = sep->s;
    if (d.empty()) fail("ValueError: empty separator");
    if (!from_right) {
      size_t pos = 0;
      for (size_t p = s.find(d); p != std::string::npos && (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit);
           p = s.find(d, pos)) {
        out.push_back(Value::string(s.substr(pos, p - pos)));
        pos = p + d.size();
      }
      out.push_back(Value::string(s.substr(pos)));
      return out;
    }
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < d.size()) break;
      size_t p = s.rfind(d, end - d.size());
      if (p == std::string::npos) break;
      out.push_back(Value::string(s.substr(p + d.size(), end - p - d.size())));
      end = p;
    }
    out.push_back(Value::string(s.substr(0, end)));
    std::reverse(out.begin(), out.end());
    return out;
  }
  // Whitespace split: runs of whitespace separate, no empty strings at the ends.
  std::vector<char32_t> cps = utf8_decode(s);
  if (!from_right) {
    size_t k = 0, n = cps.size();
    while (true) {
      while (k < n && py_space(cps[k])) ++k;
      if (k >= n) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        size_t e = n;
        out.push_back(Value::string(utf8_encode(cps, k, e)));
        break;
      }
      size_t b = k;
      while (k < n && !py_space(cps[k])) ++k;
      out.push_back(Value::string(utf8_encode(cps, b, k)));
    }
    return out;
  }
  size_t k = cps.size();
  while (true) {
    while (k > 0 && py_space(cps[k - 1])) --k;
    if (k == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      out.push_back(Value::string(utf8_encode(cps, 0, k)));
      break;
    }
    size_t e = k;
    while (k > 0 && !py_space(cps[k - 1])) --k;
    out.push_back(Value::string(utf8_encode(cps, k, e)));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

int64_t arg_int(const CallArgs& args, size_t index, std::string_view name, int64_t fallback) {
  const Value* v = args.get(index, name);
  if (!v || v->is_none()) return fallback;
  if (v->kind == Kind::kInt) return v->i;
  if (v->kind == Kind::kBool) return v->b;
  fail("TypeError: argument '" + std::string(name) + "' must be an integer, not " + type_name(*v));
}

bool arg_bool(const CallArgs& args, size_t index, std::string_view name, bool fallback) {
  const Value* v = args.get(index, name);
  return v ? truthy(*v) : fallback;
}

std::string arg_str(const CallArgs& args, size_t index, std::string_view name, const std::string& fallback) {
  const Value* v = args.get(index, name);
  if (!v) return fallback;
  if (!v->is_string()) fail("TypeError: argument '" + std::string(name) + "' must be a string, not " + type_name(*v));
  return v->s;
}

}  // namespace mistralrs::chat
