// Built-in tests (`x is defined`, `x is divisibleby 3`, ...) as jinja2 3.1 defines them.
#include <cctype>
#include <cmath>

#include "tokenizer/chat/builtins.h"
#include "tokenizer/chat/interpreter.h"

namespace mistralrs::chat {
namespace {

const Value& arg0(const CallArgs& a, const char* test) {
  const Value* v = a.get(0, "other");
  if (!v) fail(std::string("TypeError: test '") + test + "' needs an argument");
  return *v;
}

bool t_defined(Interpreter&, const Value& v, const CallArgs&) { return !v.is_undefined(); }
bool t_undefined(Interpreter&, const Value& v, const CallArgs&) { return v.is_undefined(); }
bool t_none(Interpreter&, const Value& v, const CallArgs&) { return v.is_none(); }
bool t_boolean(Interpreter&, const Value& v, const CallArgs&) { return v.kind == Kind::kBool; }
bool t_true(Interpreter&, const Value& v, const CallArgs&) { return v.kind == Kind::kBool && v.b; }
bool t_false(Interpreter&, const Value& v, const CallArgs&) { return v.kind == Kind::kBool && !v.b; }
bool t_integer(Interpreter&, const Value& v, const CallArgs&) { return v.kind == Kind::kInt; }
bool t_float(Interpreter&, const Value& v, const CallArgs&) { return v.kind == Kind::kFloat; }
bool t_number(Interpreter&, const Value& v, const CallArgs&) { return v.is_number(); }
bool t_string(Interpreter&, const Value& v, const CallArgs&) { return v.is_string(); }
bool t_mapping(Interpreter&, const Value& v, const CallArgs&) { return v.is_dict() && !v.dict->is_namespace; }
// Undefined defines __call__ (to raise), so Python's callable() is true for it.
bool t_callable(Interpreter&, const Value& v, const CallArgs&) { return v.kind == Kind::kFunction || v.is_undefined(); }
bool t_escaped(Interpreter&, const Value&, const CallArgs&) { return false; }

bool t_iterable(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_undefined() || v.is_string() || v.is_list() || (v.is_dict() && !v.dict->is_namespace);
}

// len() and __getitem__: str, list, tuple, dict, and (as in jinja) undefined.
bool t_sequence(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_undefined() || v.is_string() || (v.is_list() && !v.list->generator) ||
         (v.is_dict() && !v.dict->is_namespace);
}

int64_t int_of(const Value& v, const char* test) {
  if (v.kind == Kind::kInt) return v.i;
  if (v.kind == Kind::kBool) return v.b;
  require_defined(v);
  fail(std::string("TypeError: test '") + test + "' needs an integer, not " + type_name(v));
}

// Python `value % 2 == 1` / `== 0`: 2.5 is neither odd nor even.
bool t_odd(Interpreter&, const Value& v, const CallArgs&) {
  require_defined(v);
  return equals(binary_op("%", v, Value::integer(2)), Value::integer(1));
}

bool t_even(Interpreter&, const Value& v, const CallArgs&) {
  require_defined(v);
  return equals(binary_op("%", v, Value::integer(2)), Value::integer(0));
}

bool t_divisibleby(Interpreter&, const Value& v, const CallArgs& a) {
  const Value& n = arg0(a, "divisibleby");
  if (v.kind == Kind::kFloat || n.kind == Kind::kFloat) {
    Value m = binary_op("%", v, n);
    return !truthy(m);
  }
  int64_t d = int_of(n, "divisibleby");
  if (d == 0) fail("ZeroDivisionError: integer division or modulo by zero");
  int64_t x = int_of(v, "divisibleby");
  return d == -1 || x % d == 0;
}

bool t_eq(Interpreter&, const Value& v, const CallArgs& a) { return equals(v, arg0(a, "eq")); }
bool t_ne(Interpreter&, const Value& v, const CallArgs& a) { return !equals(v, arg0(a, "ne")); }
bool t_lt(Interpreter&, const Value& v, const CallArgs& a) { return compare(v, arg0(a, "lt")) < 0; }
bool t_le(Interpreter&, const Value& v, const CallArgs& a) { return compare(v, arg0(a, "le")) <= 0; }
bool t_gt(Interpreter&, const Value& v, const CallArgs& a) { return compare(v, arg0(a, "gt")) > 0; }
bool t_ge(Interpreter&, const Value& v, const CallArgs& a) { return compare(v, arg0(a, "ge")) >= 0; }
bool t_in(Interpreter&, const Value& v, const CallArgs& a) { return contains(arg0(a, "in"), v); }

bool t_sameas(Interpreter&, const Value& v, const CallArgs& a) {
  const Value& o = arg0(a, "sameas");
  if (v.kind != o.kind) return false;
  switch (v.kind) {
    case Kind::kNone: case Kind::kUndefined: return true;
    case Kind::kBool: return v.b == o.b;
    case Kind::kList: return v.list == o.list;
    case Kind::kDict: return v.dict == o.dict;
    case Kind::kFunction: return v.fn == o.fn;
    default: return equals(v, o);  // small ints and interned strings are identical in CPython
  }
}

bool t_lower(Interpreter&, const Value& v, const CallArgs&) { return py_islower(to_str(v)); }
bool t_upper(Interpreter&, const Value& v, const CallArgs&) { return py_isupper(to_str(v)); }
bool t_filter(Interpreter&, const Value& v, const CallArgs&) { return v.is_string() && find_filter(v.s) != nullptr; }
bool t_test(Interpreter&, const Value& v, const CallArgs&) { return v.is_string() && find_test(v.s) != nullptr; }

struct TestEntry {
  const char* name;
  TestFn fn;
};

const TestEntry kTests[] = {
    {"defined", t_defined}, {"undefined", t_undefined}, {"none", t_none}, {"boolean", t_boolean},
    {"true", t_true}, {"false", t_false}, {"integer", t_integer}, {"float", t_float},
    {"number", t_number}, {"string", t_string}, {"mapping", t_mapping}, {"callable", t_callable},
    {"escaped", t_escaped}, {"iterable", t_iterable}, {"sequence", t_sequence}, {"odd", t_odd},
    {"even", t_even}, {"divisibleby", t_divisibleby}, {"eq", t_eq}, {"equalto", t_eq}, {"==", t_eq},
    {"ne", t_ne}, {"!=", t_ne}, {"lt", t_lt}, {"lessthan", t_lt}, {"<", t_lt}, {"le", t_le},
    {"<=", t_le}, {"gt", t_gt}, {"greaterthan", t_gt}, {">", t_gt}, {"ge", t_ge}, {">=", t_ge},
    {"in", t_in}, {"sameas", t_sameas}, {"lower", t_lower}, {"upper", t_upper},
    {"filter", t_filter}, {"test", t_test},
};

}  // namespace

TestFn find_test(std::string_view name) {
  for (const auto& t : kTests)
    if (name == t.name) return t.fn;
  return nullptr;
}

bool Interpreter::apply_test(const std::string& name, const Value& subject, const CallArgs& args) {
  TestFn fn = find_test(name);
  if (!fn) fail("TemplateRuntimeError: no test named '" + name + "'");
  tick();
  return fn(*this, subject, args);
}

}  // namespace mistralrs::chat
