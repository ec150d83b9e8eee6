// Statement execution: output, if, for (with loop.*), set, macro, call, filter and with blocks.
#include "tokenizer/chat/interpreter.h"

#include "tokenizer/chat/builtins.h"

namespace mistralrs::chat {

Interpreter::~Interpreter() {
  for (auto& ns : namespaces_) {  // a namespace may hold itself; drop the contents
    ns->entries.clear();
    ns->index.clear();
  }
}

void Interpreter::tick() {
  if (++steps_ > kMaxSteps) fail("template exceeded the step limit (" + std::to_string(kMaxSteps) + ")");
}

void Interpreter::check_size(size_t bytes) const {
  if (bytes > kMaxOutputBytes) fail("template output exceeds " + std::to_string(kMaxOutputBytes) + " bytes");
}

Value Interpreter::make_namespace() {
  Value ns = Value::make_dict();
  ns.dict->is_namespace = true;
  namespaces_.push_back(ns.dict);
  return ns;
}

std::string Interpreter::render(const Template& tmpl, const Value& context) {
  auto root = std::make_shared<Scope>();
  install_globals(*root);
  if (context.is_dict()) {
    for (const auto& [k, v] : context.dict->entries) root->vars[to_str(k)] = v;
  } else if (!context.is_none()) {
    fail("the context must be a JSON object");
  }
  auto top = std::make_shared<Scope>();
  top->parent = root;
  std::string out;
  exec(tmpl.body, top, out);
  return out;
}

Interpreter::Flow Interpreter::exec(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const auto& s : body) {
    Flow f = exec_stmt(*s, scope, out);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

// The body of a block set or filter block rendered in its own scope, through its filters.
Value Interpreter::render_filtered(const Stmt& s, const ScopePtr& scope) {
  auto inner = std::make_shared<Scope>();
  inner->parent = scope;
  std::string text;
  exec(s.body, inner, text);
  Value v = Value::string(std::move(text));
  for (const auto& f : s.filters) {
    CallArgs args;
    eval_args(*f, 1, scope, args);
    v = apply_filter(f->name, v, args);
  }
  return v;
}

Interpreter::Flow Interpreter::exec_stmt(const Stmt& s, const ScopePtr& scope, std::string& out) {
  tick();
  if (s.line) {
    line_ = s.line;
    col_ = s.col;
  }
  switch (s.kind) {
    case StmtKind::kText: out += s.text; break;
    case StmtKind::kOutput: out += to_str(eval(*s.expr, scope)); break;
    case StmtKind::kIf:
      for (const auto& [cond, body] : s.branches)
        if (truthy(eval(*cond, scope))) return exec(body, scope, out);
      return exec(s.else_body, scope, out);
    case StmtKind::kFor: return exec_for(s, scope, out);
    case StmtKind::kSet: exec_set(s, scope); break;
    case StmtKind::kSetBlock: assign(s, scope, render_filtered(s, scope)); break;
    case StmtKind::kMacro: scope->vars[s.name] = make_macro(s, scope, s.name); break;
    case StmtKind::kCallBlock: exec_call_block(s, scope, out); break;
    case StmtKind::kFilterBlock: out += to_str(render_filtered(s, scope)); break;
    case StmtKind::kWith: {
      auto inner = std::make_shared<Scope>();
      inner->parent = scope;
      for (size_t k = 0; k < s.targets.size(); ++k) inner->vars[s.targets[k]] = eval(*s.values[k], inner);
      return exec(s.body, inner, out);
    }
    case StmtKind::kBreak: return Flow::kBreak;
    case StmtKind::kContinue: return Flow::kContinue;
  }
  check_size(out.size());
  return Flow::kNormal;
}

// Binds the targets of a for/set: one name, or tuple unpacking of a list, tuple or string.
void Interpreter::assign(const Stmt& s, const ScopePtr& scope, const Value& value) {
  if (!s.tuple_target) {
    scope->vars[s.targets[0]] = value;
    return;
  }
  std::vector<Value> items = iterate(value);
  if (items.size() != s.targets.size())
    fail("ValueError: " + std::string(items.size() < s.targets.size() ? "not enough" : "too many") +
         " values to unpack (expected " + std::to_string(s.targets.size()) + ", got " +
         std::to_string(items.size()) + ")");
  for (size_t k = 0; k < items.size(); ++k) scope->vars[s.targets[k]] = items[k];
}

void Interpreter::exec_set(const Stmt& s, const ScopePtr& scope) {
  Value v = eval(*s.expr, scope);
  if (s.attr.empty()) {
    assign(s, scope, v);
    return;
  }
  const Value* target = nullptr;
  for (Scope* sc = scope.get(); sc && !target; sc = sc->parent.get()) {
    auto it = sc->vars.find(s.targets[0]);
    if (it != sc->vars.end()) target = &it->second;
  }
  if (!target || !target->is_namespace())
    fail("TemplateRuntimeError: cannot assign attribute on non-namespace object");
  if (!s.attr.empty() && s.attr[0] == '_')
    fail("SecurityError: chat templates cannot store underscore-prefixed attributes on a namespace");
  target->dict->set(Value::string(s.attr), std::move(v));
}

static Value loop_object(const std::vector<Value>& items, size_t k) {
  Value loop = Value::make_dict();
  DictData& d = *loop.dict;
  auto n = static_cast<int64_t>(items.size()), idx = static_cast<int64_t>(k);
  d.set(Value::string("index"), Value::integer(idx + 1));
  d.set(Value::string("index0"), Value::integer(idx));
  d.set(Value::string("revindex"), Value::integer(n - idx));
  d.set(Value::string("revindex0"), Value::integer(n - idx - 1));
  d.set(Value::string("first"), Value::boolean(k == 0));
  d.set(Value::string("last"), Value::boolean(idx == n - 1));
  d.set(Value::string("length"), Value::integer(n));
  d.set(Value::string("depth"), Value::integer(1));
  d.set(Value::string("depth0"), Value::integer(0));
  if (k > 0) d.set(Value::string("previtem"), items[k - 1]);
  if (idx + 1 < n) d.set(Value::string("nextitem"), items[k + 1]);
  d.set(Value::string("cycle"), Value::function("cycle", [idx](CallArgs& args) {
          if (args.positional.empty()) fail("TypeError: no items for cycling given");
          return args.positional[static_cast<size_t>(idx) % args.positional.size()];
        }));
  return loop;
}

Interpreter::Flow Interpreter::exec_for(const Stmt& s, const ScopePtr& scope, std::string& out) {
  Value iterable = eval(*s.expr, scope);
  std::vector<Value> items = iterate(iterable);
  if (s.cond) {  // `for x in xs if cond`: filtered before loop.length is known
    std::vector<Value> kept;
    for (const Value& item : items) {
      tick();
      auto probe = std::make_shared<Scope>();
      probe->parent = scope;
      assign(s, probe, item);
      if (truthy(eval(*s.cond, probe))) kept.push_back(item);
    }
    items = std::move(kept);
  }
  Value last_changed;  // loop.changed() state is not supported; see docs
  for (size_t k = 0; k < items.size(); ++k) {
    tick();
    auto inner = std::make_shared<Scope>();
    inner->parent = scope;
    assign(s, inner, items[k]);
    if (s.uses_loop) inner->vars["loop"] = loop_object(items, k);  // built only when read
    Flow f = exec(s.body, inner, out);
    check_size(out.size());
    if (f == Flow::kBreak) break;
  }
  if (items.empty()) {
    auto inner = std::make_shared<Scope>();
    inner->parent = scope;
    exec(s.else_body, inner, out);
  }
  return Flow::kNormal;
}

Value Interpreter::make_macro(const Stmt& s, const ScopePtr& scope, const std::string& name) {
  std::weak_ptr<Scope> closure = scope;  // weak: the scope holds the macro
  const Stmt* stmt = &s;
  Value fn = Value::function(name, [this, stmt, closure](CallArgs& args) { return call_macro(*stmt, closure, args); });
  fn.fn->is_macro = true;
  return fn;
}

Value Interpreter::call_macro(const Stmt& s, const std::weak_ptr<Scope>& closure, const CallArgs& args) {
  ScopePtr parent = closure.lock();
  if (!parent) fail("TemplateRuntimeError: macro '" + s.name + "' called after its scope ended");
  if (++call_depth_ > kMaxCallDepth) fail("RecursionError: macro calls nested deeper than " + std::to_string(kMaxCallDepth));
  tick();
  auto scope = std::make_shared<Scope>();
  scope->parent = parent;
  std::vector<bool> bound(s.params.size(), false);
  std::vector<Value> varargs;
  for (size_t k = 0; k < args.positional.size(); ++k) {
    if (k < s.params.size()) {
      scope->vars[s.params[k]] = args.positional[k];
      bound[k] = true;
    } else if (s.kind == StmtKind::kMacro && !s.uses_varargs) {
      fail("TypeError: macro '" + s.name + "' takes not more than " + std::to_string(s.params.size()) + " argument(s)");
    } else {
      varargs.push_back(args.positional[k]);
    }
  }
  Value kwargs = Value::make_dict();
  for (const auto& [key, v] : args.named) {
    size_t k = 0;
    while (k < s.params.size() && s.params[k] != key) ++k;
    if (k < s.params.size()) {
      if (bound[k]) fail("TypeError: macro '" + s.name + "' got multiple values for argument '" + key + "'");
      scope->vars[key] = v;
      bound[k] = true;
    } else if (key == "caller") {
      scope->vars["caller"] = v;
    } else if (s.kind == StmtKind::kMacro && !s.uses_kwargs) {
      fail("TypeError: macro '" + s.name + "' takes no keyword argument '" + key + "'");
    } else {
      kwargs.dict->set(Value::string(key), v);
    }
  }
  for (size_t k = 0; k < s.params.size(); ++k) {
    if (bound[k]) continue;
    scope->vars[s.params[k]] = s.defaults[k] ? eval(*s.defaults[k], scope)
                                             : Value::undefined("UndefinedError: parameter '" + s.params[k] + "' was not provided");
  }
  scope->vars["varargs"] = Value::make_list(std::move(varargs), true);
  scope->vars["kwargs"] = kwargs;
  std::string out;
  exec(s.body, scope, out);
  --call_depth_;
  return Value::string(std::move(out));
}

void Interpreter::exec_call_block(const Stmt& s, const ScopePtr& scope, std::string& out) {
  Value caller = make_macro(s, scope, "caller");
  const Expr& call = *s.expr;
  Value callee = eval(*call.args[0], scope);
  CallArgs args;
  eval_args(call, 1, scope, args);
  args.named.emplace_back("caller", caller);
  out += to_str(this->call(callee, args));
}

}  // namespace mistralrs::chat
