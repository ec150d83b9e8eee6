// Expression evaluation and the global functions (range, namespace, dict, raise_exception,
// strftime_now).
#include <ctime>

#include "tokenizer/chat/builtins.h"
#include "tokenizer/chat/interpreter.h"

namespace mistralrs::chat {

static Value lookup(const ScopePtr& scope, const std::string& name) {
  for (const Scope* s = scope.get(); s; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return it->second;
  }
  return Value::undefined("UndefinedError: '" + name + "' is undefined");
}

void Interpreter::eval_args(const Expr& e, size_t first, const ScopePtr& scope, CallArgs& args) {
  for (size_t k = first; k < e.args.size(); ++k) args.positional.push_back(eval(*e.args[k], scope));
  for (const auto& [key, expr] : e.kwargs) args.named.emplace_back(key, eval(*expr, scope));
}

Value Interpreter::eval(const Expr& e, const ScopePtr& scope) {
  line_ = e.line;
  col_ = e.col;
  switch (e.kind) {
    case ExprKind::kConst: return e.value;
    case ExprKind::kName: return lookup(scope, e.name);
    case ExprKind::kGetAttr: {
      Value obj = eval(*e.args[0], scope);
      require_defined(obj);
      return get_attr(obj, e.name);
    }
    case ExprKind::kGetItem: {
      Value obj = eval(*e.args[0], scope);
      Value key = eval(*e.args[1], scope);
      require_defined(obj);
      return get_item(obj, key);
    }
    case ExprKind::kSlice: return eval_slice(e, scope);
    case ExprKind::kCall: return eval_call(e, scope);
    case ExprKind::kFilter: {
      Value subject = eval(*e.args[0], scope);
      CallArgs args;
      eval_args(e, 1, scope, args);
      line_ = e.line;
      col_ = e.col;
      return apply_filter(e.name, subject, args);
    }
    case ExprKind::kTest: {
      Value subject = eval(*e.args[0], scope);
      CallArgs args;
      eval_args(e, 1, scope, args);
      return Value::boolean(apply_test(e.name, subject, args) != e.negated);
    }
    case ExprKind::kUnary: {
      Value v = eval(*e.args[0], scope);
      if (e.name == "not") return Value::boolean(!truthy(v));
      if (v.kind == Kind::kFloat) return Value::number(e.name == "-" ? -v.f : v.f);
      if (v.kind != Kind::kInt && v.kind != Kind::kBool) {
        require_defined(v);
        fail("TypeError: bad operand type for unary " + e.name + ": '" + type_name(v) + "'");
      }
      return binary_op(e.name, Value::integer(0), v);
    }
    case ExprKind::kBinary: {
      Value a = eval(*e.args[0], scope);
      Value b = eval(*e.args[1], scope);
      line_ = e.line;
      col_ = e.col;
      Value r = binary_op(e.name, a, b);
      if (r.is_string()) check_size(r.s.size());
      return r;
    }
    case ExprKind::kCompare: return eval_compare(e, scope);
    case ExprKind::kAnd: {
      Value a = eval(*e.args[0], scope);
      return truthy(a) ? eval(*e.args[1], scope) : a;
    }
    case ExprKind::kOr: {
      Value a = eval(*e.args[0], scope);
      return truthy(a) ? a : eval(*e.args[1], scope);
    }
    case ExprKind::kCond:
      if (truthy(eval(*e.args[0], scope))) return eval(*e.args[1], scope);
      if (e.args[2]) return eval(*e.args[2], scope);
      return Value::undefined("UndefinedError: the inline if-expression evaluated to false and no else section was defined");
    case ExprKind::kList: case ExprKind::kTuple: {
      std::vector<Value> items;
      for (const auto& a : e.args) items.push_back(eval(*a, scope));
      return Value::make_list(std::move(items), e.kind == ExprKind::kTuple);
    }
    case ExprKind::kDict: {
      Value d = Value::make_dict();
      for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
        Value key = eval(*e.args[k], scope);
        d.dict->set(key, eval(*e.args[k + 1], scope));
      }
      return d;
    }
  }
  fail("internal error: unknown expression");
}

Value Interpreter::eval_compare(const Expr& e, const ScopePtr& scope) {
  Value left = eval(*e.args[0], scope);
  for (size_t k = 0; k < e.ops.size(); ++k) {
    Value right = eval(*e.args[k + 1], scope);
    const std::string& op = e.ops[k];
    bool r;
    if (op == "==") r = equals(left, right);
    else if (op == "!=") r = !equals(left, right);
    else if (op == "in") r = contains(right, left);
    else if (op == "not in") r = !contains(right, left);
    else {
      int c = compare(left, right);
      r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    }
    if (!r) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

static int64_t slice_index(const Value* v, int64_t fallback) {
  if (!v || v->is_none()) return fallback;
  if (v->kind == Kind::kInt) return v->i;
  if (v->kind == Kind::kBool) return v->b;
  fail("TypeError: slice indices must be integers or None");
}

Value Interpreter::eval_slice(const Expr& e, const ScopePtr& scope) {
  Value obj = eval(*e.args[0], scope);
  Value parts[3];
  const Value* p[3] = {nullptr, nullptr, nullptr};
  for (int k = 0; k < 3; ++k)
    if (e.args[k + 1]) {
      parts[k] = eval(*e.args[k + 1], scope);
      p[k] = &parts[k];
    }
  require_defined(obj);
  int64_t step = slice_index(p[2], 1);
  if (step == 0) fail("ValueError: slice step cannot be zero");
  std::vector<char32_t> cps;
  int64_t n;
  if (obj.is_string()) {
    cps = utf8_decode(obj.s);
    n = static_cast<int64_t>(cps.size());
  } else if (obj.is_list() && !obj.list->generator) {
    n = static_cast<int64_t>(obj.list->items.size());
  } else {  // slices bypass jinja's getitem, so this is a plain Python TypeError
    fail("TypeError: '" + type_name(obj) + "' object is not subscriptable");
  }
  // Python's slice.indices(): clamp start/stop into range for the step's direction.
  auto norm = [&](const Value* v, int64_t fallback) {
    int64_t x = slice_index(v, fallback);
    if (v && !v->is_none()) {
      if (x < 0) x += n;
      x = step > 0 ? std::clamp<int64_t>(x, 0, n) : std::clamp<int64_t>(x, -1, n - 1);
    }
    return x;
  };
  int64_t start = norm(p[0], step > 0 ? 0 : n - 1);
  int64_t stop = norm(p[1], step > 0 ? n : -1);
  std::vector<Value> items;
  std::vector<char32_t> out_cps;
  for (int64_t k = start; step > 0 ? k < stop : k > stop; k += step) {
    if (obj.is_string()) out_cps.push_back(cps[static_cast<size_t>(k)]);
    else items.push_back(obj.list->items[static_cast<size_t>(k)]);
  }
  if (obj.is_string()) return Value::string(utf8_encode(out_cps, 0, out_cps.size()));
  return Value::make_list(std::move(items), obj.list->tuple);
}

Value Interpreter::eval_call(const Expr& e, const ScopePtr& scope) {
  Value callee = eval(*e.args[0], scope);
  CallArgs args;
  eval_args(e, 1, scope, args);
  line_ = e.line;
  col_ = e.col;
  return call(callee, args);
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
  require_defined(callee);
  if (callee.kind != Kind::kFunction) fail("TypeError: '" + type_name(callee) + "' object is not callable");
  tick();
  return callee.fn->call(args);
}

static Value global_range(CallArgs& args) {
  std::vector<int64_t> p;
  for (const Value& v : args.positional) {
    if (v.kind != Kind::kInt && v.kind != Kind::kBool) fail("TypeError: range() arguments must be integers");
    p.push_back(v.kind == Kind::kBool ? v.b : v.i);
  }
  if (p.empty() || p.size() > 3) fail("TypeError: range expected 1 to 3 arguments");
  int64_t start = p.size() == 1 ? 0 : p[0], stop = p.size() == 1 ? p[0] : p[1], step = p.size() == 3 ? p[2] : 1;
  if (step == 0) fail("ValueError: range() arg 3 must not be zero");
  // Item count in 128 bits so that extreme bounds cannot overflow.
  __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  __int128 count = span <= 0 ? 0 : (span + (step > 0 ? step : -static_cast<__int128>(step)) - 1) /
                                        (step > 0 ? step : -static_cast<__int128>(step));
  if (count > kMaxRangeItems)
    fail("OverflowError: range too big, the limit is " + std::to_string(kMaxRangeItems) + " items");
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (__int128 k = 0; k < count; ++k) items.push_back(Value::integer(static_cast<int64_t>(start + k * step)));
  return Value::make_list(std::move(items));
}

static std::string format_time(const std::string& fmt, int64_t now) {
  std::time_t t = now >= 0 ? static_cast<std::time_t>(now) : std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (fmt.empty()) return "";
  std::string buf(fmt.size() * 8 + 64, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
  if (n == 0) fail("ValueError: strftime format produced no output or is too long");
  buf.resize(n);
  return buf;
}

void Interpreter::install_globals(Scope& root) {
  root.vars["range"] = Value::function("range", global_range);
  root.vars["raise_exception"] = Value::function("raise_exception", [](CallArgs& args) -> Value {
    const Value* m = args.get(0, "message");
    fail("TemplateError: " + (m ? to_str(*m) : std::string()));
  });
  root.vars["strftime_now"] = Value::function("strftime_now", [this](CallArgs& args) {
    const Value* f = args.get(0, "format");
    if (!f || !f->is_string()) fail("TypeError: strftime_now() needs a format string");
    return Value::string(format_time(f->s, options_.now_unix_utc));
  });
  auto build_dict = [](Value& d, CallArgs& args) {
    for (const Value& p : args.positional) {
      if (p.is_dict() && !p.dict->is_namespace) {
        for (const auto& [k, v] : p.dict->entries) d.dict->set(k, v);
      } else {
        for (const Value& pair : iterate(p)) {
          std::vector<Value> kv = iterate(pair);
          if (kv.size() != 2) fail("ValueError: dictionary update sequence element has wrong length");
          d.dict->set(kv[0], kv[1]);
        }
      }
    }
    for (const auto& [k, v] : args.named) {
      if (d.dict->is_namespace && !k.empty() && k[0] == '_')
        fail("SecurityError: chat templates cannot store underscore-prefixed attributes on a namespace");
      d.dict->set(Value::string(k), v);
    }
  };
  root.vars["dict"] = Value::function("dict", [build_dict](CallArgs& args) {
    Value d = Value::make_dict();
    build_dict(d, args);
    return d;
  });
  root.vars["namespace"] = Value::function("namespace", [this, build_dict](CallArgs& args) {
    Value ns = make_namespace();
    build_dict(ns, args);
    return ns;
  });
}

}  // namespace mistralrs::chat
