// Tree-walking renderer: executes a parsed Template against a context with jinja2's scoping
// (a `for` body or macro call gets its own scope; `if` does not) and hard resource limits.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/chat/ast.h"
#include "tokenizer/chat/chat_template.h"

namespace mistralrs::chat {

struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
};
using ScopePtr = std::shared_ptr<Scope>;

// Limits that turn hostile templates into errors instead of hangs or crashes.
constexpr size_t kMaxOutputBytes = 32u << 20;   // any rendered or built string
constexpr int64_t kMaxSteps = 5'000'000;        // statements + loop iterations + calls
constexpr int kMaxCallDepth = 64;               // nested macro calls
constexpr int64_t kMaxRangeItems = 1'000'000;   // range(n), list repetition

class Interpreter {
 public:
  explicit Interpreter(const RenderOptions& options) : options_(options) {}
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // context: a dict value (or none for no variables).
  std::string render(const Template& tmpl, const Value& context);

  Value eval(const Expr& e, const ScopePtr& scope);
  Value call(const Value& callee, CallArgs& args);
  Value apply_filter(const std::string& name, const Value& subject, const CallArgs& args);
  bool apply_test(const std::string& name, const Value& subject, const CallArgs& args);
  void tick();
  void check_size(size_t bytes) const;
  // Where the last evaluated node sits, for error messages.
  int line() const { return line_; }
  int col() const { return col_; }
  int64_t now_unix_utc() const { return options_.now_unix_utc; }
  Value make_namespace();

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  Flow exec(const Body& body, const ScopePtr& scope, std::string& out);
  Flow exec_stmt(const Stmt& s, const ScopePtr& scope, std::string& out);
  Flow exec_for(const Stmt& s, const ScopePtr& scope, std::string& out);
  void exec_set(const Stmt& s, const ScopePtr& scope);
  void exec_call_block(const Stmt& s, const ScopePtr& scope, std::string& out);
  Value render_filtered(const Stmt& s, const ScopePtr& scope);
  void assign(const Stmt& s, const ScopePtr& scope, const Value& value);
  Value make_macro(const Stmt& s, const ScopePtr& scope, const std::string& name);
  Value call_macro(const Stmt& s, const std::weak_ptr<Scope>& closure, const CallArgs& args);
  Value eval_call(const Expr& e, const ScopePtr& scope);
  Value eval_compare(const Expr& e, const ScopePtr& scope);
  Value eval_slice(const Expr& e, const ScopePtr& scope);
  void eval_args(const Expr& e, size_t first, const ScopePtr& scope, CallArgs& args);
  void install_globals(Scope& root);

  RenderOptions options_;
  int64_t steps_ = 0;
  int call_depth_ = 0;
  int line_ = 0;
  int col_ = 0;
  std::vector<std::shared_ptr<DictData>> namespaces_;  // cleared at the end to break cycles
};

// Arithmetic and membership with Python semantics (interpreter_ops.cpp).
Value binary_op(const std::string& op, const Value& a, const Value& b);
bool contains(const Value& container, const Value& item);
Value python_format(const std::string& fmt, const Value& args);  // "fmt" % args

}  // namespace mistralrs::chat
