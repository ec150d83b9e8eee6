// The parser's state, shared by parse_stmt.cpp (tags) and parse_expr.cpp (expressions).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/chat/ast.h"
#include "tokenizer/chat/lexer.h"

namespace mistralrs::chat {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}
  Template parse();

  // Statements (parse_stmt.cpp).
  Body parse_body(const std::vector<std::string_view>& stops, std::string* found);
  std::unique_ptr<Stmt> parse_statement();

  // Expressions (parse_expr.cpp).
  ExprPtr parse_expression(bool with_condexpr = true);
  ExprPtr parse_tuple(bool with_condexpr = true);  // a, b -> tuple; a -> a
  ExprPtr parse_or();
  ExprPtr parse_filter(ExprPtr subject);  // after '|'
  void parse_call_args(Expr& call);

 private:
  friend struct ParserAccess;
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_postfix(ExprPtr node);
  ExprPtr parse_filter_expr(ExprPtr node);
  ExprPtr parse_test(ExprPtr subject);
  ExprPtr parse_subscript(ExprPtr obj);
  ExprPtr parse_call(ExprPtr callee);
  ExprPtr parse_paren(const Token& open);
  ExprPtr parse_list(const Token& open);
  ExprPtr parse_dict(const Token& open);

  void parse_if(Stmt& s);
  void parse_for(Stmt& s);
  void parse_set(Stmt& s);
  void parse_macro(Stmt& s);
  void parse_call_block(Stmt& s);
  void parse_filter_block(Stmt& s);
  void parse_with(Stmt& s);
  void parse_params(Stmt& s);
  void parse_targets(Stmt& s);

 public:
  // Token helpers.
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t ahead = 1) const {
    return toks_[pos_ + ahead < toks_.size() ? pos_ + ahead : toks_.size() - 1];
  }
  const Token& next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool is_op(std::string_view op) const { return cur().type == Tok::kOp && cur().text == op; }
  bool is_name(std::string_view name) const { return cur().type == Tok::kName && cur().text == name; }
  bool skip_op(std::string_view op);
  bool skip_name(std::string_view name);
  void expect_op(std::string_view op);
  void expect_block_end();
  std::string expect_name();
  [[noreturn]] void error(const std::string& what, const Token& at) const;
  [[noreturn]] void unexpected(const std::string& expected) const;
  ExprPtr make(ExprKind kind, const Token& at) const;
  // Sets e->depth from its children; fails past kMaxParseDepth (left-nested chains such as
  // 1+1+1+... or x|f|f|f... are built iteratively, so the recursion guard alone misses them).
  ExprPtr fin(ExprPtr e) const;

  // Guards against hostile nesting: each nested expression or tag body takes one level.
  struct DepthGuard {
    explicit DepthGuard(Parser& p);
    ~DepthGuard() { --p_.depth_; }
    Parser& p_;
  };

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  bool soft_ = false;
  int varargs_refs_ = 0;  // how many times the names varargs / kwargs were read so far
  int kwargs_refs_ = 0;
  int loop_refs_ = 0;  // inside `if` / `x if c else y`: unknown filters fail only when run
};

constexpr int kMaxParseDepth = 200;

}  // namespace mistralrs::chat
