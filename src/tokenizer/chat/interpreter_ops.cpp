// Python arithmetic on template values: int (64-bit, overflow is an error), float, str, list.
#include <cmath>

#include "tokenizer/chat/builtins.h"
#include "tokenizer/chat/interpreter.h"

namespace mistralrs::chat {
namespace {

int64_t as_int(const Value& v) { return v.kind == Kind::kBool ? v.b : v.i; }
double as_float(const Value& v) { return v.kind == Kind::kFloat ? v.f : static_cast<double>(as_int(v)); }

[[noreturn]] void unsupported_operands(const std::string& op, const Value& a, const Value& b) {
  require_defined(a);
  require_defined(b);
  if (op == "+" && a.is_string())
    fail("TypeError: can only concatenate str (not \"" + type_name(b) + "\") to str");
  fail("TypeError: unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

Value int_op(const std::string& op, int64_t x, int64_t y) {
  int64_t r = 0;
  if (op == "+") {
    if (__builtin_add_overflow(x, y, &r)) fail("OverflowError: integer result does not fit in 64 bits");
    return Value::integer(r);
  }
  if (op == "-") {
    if (__builtin_sub_overflow(x, y, &r)) fail("OverflowError: integer result does not fit in 64 bits");
    return Value::integer(r);
  }
  if (op == "*") {
    if (__builtin_mul_overflow(x, y, &r)) fail("OverflowError: integer result does not fit in 64 bits");
    return Value::integer(r);
  }
  if (op == "/") {
    if (y == 0) fail("ZeroDivisionError: division by zero");
    return Value::number(static_cast<double>(x) / static_cast<double>(y));
  }
  if (op == "//" || op == "%") {
    if (y == 0) fail("ZeroDivisionError: integer division or modulo by zero");
    if (x == INT64_MIN && y == -1) {
      if (op == "%") return Value::integer(0);
      fail("OverflowError: integer result does not fit in 64 bits");
    }
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {  // Python floors towards negative infinity
      --q;
      m += y;
    }
    return Value::integer(op == "//" ? q : m);
  }
  // "**"
  if (y < 0) return Value::number(std::pow(static_cast<double>(x), static_cast<double>(y)));
  int64_t result = 1, base = x;
  for (int64_t e = y; e > 0; e >>= 1) {
    if (e & 1)
      if (__builtin_mul_overflow(result, base, &result)) fail("OverflowError: integer result does not fit in 64 bits");
    if (e > 1 && __builtin_mul_overflow(base, base, &base)) fail("OverflowError: integer result does not fit in 64 bits");
  }
  return Value::integer(result);
}

Value float_op(const std::string& op, double x, double y) {
  if (op == "+") return Value::number(x + y);
  if (op == "-") return Value::number(x - y);
  if (op == "*") return Value::number(x * y);
  if (op == "/") {
    if (y == 0) fail("ZeroDivisionError: float division by zero");
    return Value::number(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) fail("ZeroDivisionError: float modulo");
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    if (op == "%") return Value::number(m == 0 ? std::copysign(0.0, y) : m);
    return Value::number(std::floor(x / y));
  }
  if (x == 0 && y < 0) fail("ZeroDivisionError: 0.0 cannot be raised to a negative power");
  double r = std::pow(x, y);
  if (std::isnan(r) && !std::isnan(x) && !std::isnan(y)) fail("ValueError: math domain error (complex result)");
  return Value::number(r);
}

Value repeat(const Value& seq, int64_t times) {
  if (times <= 0) return seq.is_string() ? Value::string("") : Value::make_list({}, seq.list->tuple);
  if (seq.is_string()) {
    if (seq.s.size() * static_cast<unsigned __int128>(times) > kMaxOutputBytes)
      fail("MemoryError: string repetition exceeds " + std::to_string(kMaxOutputBytes) + " bytes");
    std::string out;
    out.reserve(seq.s.size() * static_cast<size_t>(times));
    for (int64_t k = 0; k < times; ++k) out += seq.s;
    Value r = Value::string(std::move(out));
    r.markup = seq.markup;
    return r;
  }
  if (seq.list->items.size() * static_cast<unsigned __int128>(times) > static_cast<unsigned>(kMaxRangeItems))
    fail("MemoryError: list repetition exceeds " + std::to_string(kMaxRangeItems) + " items");
  std::vector<Value> items;
  for (int64_t k = 0; k < times; ++k) items.insert(items.end(), seq.list->items.begin(), seq.list->items.end());
  return Value::make_list(std::move(items), seq.list->tuple);
}

}  // namespace

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value::string(to_str(a) + to_str(b));
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::kFloat || b.kind == Kind::kFloat) return float_op(op, as_float(a), as_float(b));
    return int_op(op, as_int(a), as_int(b));
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      if (!a.markup && !b.markup) return Value::string(a.s + b.s);
      Value r = Value::string((a.markup ? a.s : html_escape(a.s)) + (b.markup ? b.s : html_escape(b.s)));
      r.markup = true;  // Markup + str escapes the plain operand
      return r;
    }
    if (a.is_list() && b.is_list() && a.list->tuple == b.list->tuple) {
      std::vector<Value> items = a.list->items;
      items.insert(items.end(), b.list->items.begin(), b.list->items.end());
      return Value::make_list(std::move(items), a.list->tuple);
    }
  }
  if (op == "*") {
    bool a_seq = a.is_string() || a.is_list(), b_seq = b.is_string() || b.is_list();
    if (a_seq && (b.kind == Kind::kInt || b.kind == Kind::kBool)) return repeat(a, as_int(b));
    if (b_seq && (a.kind == Kind::kInt || a.kind == Kind::kBool)) return repeat(b, as_int(a));
  }
  if (op == "%" && a.is_string()) {
    if (!a.markup) return python_format(a.s, b);
    std::vector<Value> args = b.is_tuple() ? b.list->items : std::vector<Value>{b};
    for (Value& v : args)
      if (v.is_string() && !v.markup) v = Value::string(html_escape(v.s));
    Value r = python_format(a.s, Value::make_list(std::move(args), true));
    r.markup = true;
    return r;
  }
  unsupported_operands(op, a, b);
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind) {
    case Kind::kString:
      if (!item.is_string()) {
        require_defined(item);
        fail("TypeError: 'in <string>' requires string as left operand, not " + type_name(item));
      }
      return container.s.find(item.s) != std::string::npos;
    case Kind::kList:
      for (const Value& v : container.list->items)
        if (equals(v, item)) return true;
      return false;
    case Kind::kDict:
      if (container.dict->is_namespace) break;
      return container.dict->find(item) != nullptr;
    case Kind::kUndefined: return false;
    default: break;
  }
  fail("TypeError: argument of type '" + type_name(container) + "' is not iterable");
}

// printf-style formatting for %s, %r, %d, %i, %f and %% (with width/precision flags on numbers).
Value python_format(const std::string& fmt, const Value& args) {
  std::vector<Value> values = args.is_tuple() ? args.list->items : std::vector<Value>{args};
  size_t next = 0;
  std::string out;
  for (size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] != '%') {
      out += fmt[k];
      continue;
    }
    size_t spec_start = k + 1;
    while (++k < fmt.size() && std::string_view("-+ 0#.123456789").find(fmt[k]) != std::string_view::npos) {}
    if (k >= fmt.size()) fail("ValueError: incomplete format");
    char conv = fmt[k];
    std::string flags = fmt.substr(spec_start, k - spec_start);
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) fail("TypeError: not enough arguments for format string");
    const Value& v = values[next++];
    std::string piece;
    char buf[128];
    if (conv == 's') {
      piece = to_str(v);
    } else if (conv == 'r') {
      piece = repr(v);
    } else if (conv == 'd' || conv == 'i' || conv == 'f' || conv == 'e' || conv == 'g' || conv == 'x') {
      if (!v.is_number()) fail("TypeError: %" + std::string(1, conv) + " format: a real number is required, not " + type_name(v));
      if (flags.size() > 20) fail("ValueError: format specification too long");
      std::string spec = "%" + flags + (conv == 'i' || conv == 'd' || conv == 'x' ? "lld" : std::string(1, conv));
      if (conv == 'x') spec.back() = 'x';
      if (conv == 'd' || conv == 'i' || conv == 'x') {
        long long n = v.kind == Kind::kFloat ? static_cast<long long>(v.f) : static_cast<long long>(v.kind == Kind::kBool ? v.b : v.i);
        std::snprintf(buf, sizeof buf, spec.c_str(), n);
      } else {
        std::snprintf(buf, sizeof buf, spec.c_str(), v.kind == Kind::kFloat ? v.f : static_cast<double>(v.kind == Kind::kBool ? v.b : v.i));
      }
      piece = buf;
    } else {
      fail(std::string("ValueError: unsupported format character '") + conv + "'");
    }
    out += piece;
  }
  // A non-tuple argument with __getitem__ (list, dict, undefined) counts as a mapping: unused is fine.
  bool mapping_like = !args.is_tuple() && (args.is_list() || args.is_dict() || args.is_undefined());
  if (next < values.size() && !(mapping_like && next == 0))
    fail("TypeError: not all arguments converted during string formatting");
  return Value::string(std::move(out));
}

}  // namespace mistralrs::chat
