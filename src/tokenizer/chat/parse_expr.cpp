// Expression parsing with jinja2's precedence: condexpr < or < and < not < compare <
// + - < ~ < * / // % < ** (left-associative) < unary - + < postfix, filters and tests.
#include "tokenizer/chat/builtins.h"
#include "tokenizer/chat/parser_state.h"

namespace mistralrs::chat {

ExprPtr Parser::parse_expression(bool with_condexpr) {
  DepthGuard guard(*this);
  if (!with_condexpr) return parse_or();
  ExprPtr node = parse_or();
  while (is_name("if")) {
    const Token& at = next();
    bool saved = soft_;
    soft_ = true;
    auto cond = make(ExprKind::kCond, at);
    cond->args.push_back(parse_or());
    cond->args.push_back(std::move(node));
    cond->args.push_back(skip_name("else") ? parse_expression() : nullptr);
    soft_ = saved;
    node = fin(std::move(cond));
  }
  return node;
}

ExprPtr Parser::parse_tuple(bool with_condexpr) {
  const Token& at = cur();
  ExprPtr first = parse_expression(with_condexpr);
  if (!is_op(",")) return first;
  auto tuple = make(ExprKind::kTuple, at);
  tuple->args.push_back(std::move(first));
  while (skip_op(",")) {
    if (cur().type == Tok::kBlockEnd || cur().type == Tok::kVarEnd || is_op(")")) break;
    tuple->args.push_back(parse_expression(with_condexpr));
  }
  return fin(std::move(tuple));
}

ExprPtr Parser::parse_or() {
  ExprPtr left = parse_and();
  while (is_name("or")) {
    auto node = make(ExprKind::kOr, next());
    node->args.push_back(std::move(left));
    node->args.push_back(parse_and());
    left = fin(std::move(node));
  }
  return left;
}

ExprPtr Parser::parse_and() {
  ExprPtr left = parse_not();
  while (is_name("and")) {
    auto node = make(ExprKind::kAnd, next());
    node->args.push_back(std::move(left));
    node->args.push_back(parse_not());
    left = fin(std::move(node));
  }
  return left;
}

ExprPtr Parser::parse_not() {
  if (is_name("not")) {
    DepthGuard guard(*this);
    auto node = make(ExprKind::kUnary, next());
    node->name = "not";
    node->args.push_back(parse_not());
    return fin(std::move(node));
  }
  return parse_compare();
}

ExprPtr Parser::parse_compare() {
  const Token& at = cur();
  ExprPtr first = parse_math1();
  ExprPtr node;
  while (true) {
    std::string op;
    if (cur().type == Tok::kOp && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                   cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
      op = next().text;
    } else if (is_name("in")) {
      next();
      op = "in";
    } else if (is_name("not") && peek().type == Tok::kName && peek().text == "in") {
      next();
      next();
      op = "not in";
    } else {
      break;
    }
    if (!node) {
      node = make(ExprKind::kCompare, at);
      node->args.push_back(std::move(first));
    }
    node->ops.push_back(op);
    node->args.push_back(parse_math1());
  }
  return node ? fin(std::move(node)) : std::move(first);
}

static bool is_any_op(const Token& t, std::initializer_list<std::string_view> ops) {
  if (t.type != Tok::kOp) return false;
  for (auto op : ops)
    if (t.text == op) return true;
  return false;
}

ExprPtr Parser::parse_math1() {
  ExprPtr left = parse_concat();
  while (is_any_op(cur(), {"+", "-"})) {
    auto node = make(ExprKind::kBinary, cur());
    node->name = next().text;
    node->args.push_back(std::move(left));
    node->args.push_back(parse_concat());
    left = fin(std::move(node));
  }
  return left;
}

ExprPtr Parser::parse_concat() {
  ExprPtr left = parse_math2();
  while (is_op("~")) {
    auto node = make(ExprKind::kBinary, next());
    node->name = "~";
    node->args.push_back(std::move(left));
    node->args.push_back(parse_math2());
    left = fin(std::move(node));
  }
  return left;
}

ExprPtr Parser::parse_math2() {
  ExprPtr left = parse_pow();
  while (is_any_op(cur(), {"*", "/", "//", "%"})) {
    auto node = make(ExprKind::kBinary, cur());
    node->name = next().text;
    node->args.push_back(std::move(left));
    node->args.push_back(parse_pow());
    left = fin(std::move(node));
  }
  return left;
}

ExprPtr Parser::parse_pow() {
  ExprPtr left = parse_unary(true);
  while (is_op("**")) {
    auto node = make(ExprKind::kBinary, next());
    node->name = "**";
    node->args.push_back(std::move(left));
    node->args.push_back(parse_unary(true));
    left = fin(std::move(node));
  }
  return left;
}

ExprPtr Parser::parse_unary(bool with_filter) {
  DepthGuard guard(*this);
  ExprPtr node;
  if (is_op("-") || is_op("+")) {
    node = make(ExprKind::kUnary, cur());
    node->name = next().text;
    node->args.push_back(parse_unary(false));
    node = fin(std::move(node));
  } else {
    node = parse_primary();
  }
  node = parse_postfix(std::move(node));
  return with_filter ? parse_filter_expr(std::move(node)) : std::move(node);
}

ExprPtr Parser::parse_primary() {
  const Token& t = cur();
  switch (t.type) {
    case Tok::kName: {
      next();
      auto node = make(ExprKind::kConst, t);
      if (t.text == "true" || t.text == "True") node->value = Value::boolean(true);
      else if (t.text == "false" || t.text == "False") node->value = Value::boolean(false);
      else if (t.text == "none" || t.text == "None") node->value = Value::none();
      else {
        node->kind = ExprKind::kName;
        node->name = t.text;
        varargs_refs_ += t.text == "varargs";
        kwargs_refs_ += t.text == "kwargs";
        loop_refs_ += t.text == "loop";
      }
      return node;
    }
    case Tok::kString: {
      auto node = make(ExprKind::kConst, t);
      std::string s;
      while (cur().type == Tok::kString) s += next().text;  // "a" "b" == "ab"
      node->value = Value::string(std::move(s));
      return node;
    }
    case Tok::kInt: case Tok::kFloat: {
      auto node = make(ExprKind::kConst, t);
      node->value = t.type == Tok::kInt ? Value::integer(t.int_value) : Value::number(t.float_value);
      next();
      return node;
    }
    case Tok::kOp:
      if (t.text == "(") return parse_paren(next());
      if (t.text == "[") return parse_list(next());
      if (t.text == "{") return parse_dict(next());
      break;
    default: break;
  }
  unexpected("an expression");
}

ExprPtr Parser::parse_paren(const Token& open) {
  if (skip_op(")")) return make(ExprKind::kTuple, open);
  ExprPtr first = parse_expression();
  if (skip_op(")")) return first;
  auto tuple = make(ExprKind::kTuple, open);
  tuple->args.push_back(std::move(first));
  while (skip_op(",")) {
    if (is_op(")")) break;
    tuple->args.push_back(parse_expression());
  }
  expect_op(")");
  return fin(std::move(tuple));
}

ExprPtr Parser::parse_list(const Token& open) {
  auto list = make(ExprKind::kList, open);
  while (!is_op("]")) {
    if (!list->args.empty()) expect_op(",");
    if (is_op("]")) break;
    list->args.push_back(parse_expression());
  }
  next();
  return fin(std::move(list));
}

ExprPtr Parser::parse_dict(const Token& open) {
  auto dict = make(ExprKind::kDict, open);
  while (!is_op("}")) {
    if (!dict->args.empty()) expect_op(",");
    if (is_op("}")) break;
    dict->args.push_back(parse_expression());
    expect_op(":");
    dict->args.push_back(parse_expression());
  }
  next();
  return fin(std::move(dict));
}

ExprPtr Parser::parse_postfix(ExprPtr node) {
  while (true) {
    if (is_op(".")) {
      const Token& at = next();
      if (cur().type == Tok::kInt) {
        auto item = make(ExprKind::kGetItem, at);
        auto key = make(ExprKind::kConst, cur());
        key->value = Value::integer(next().int_value);
        item->args.push_back(std::move(node));
        item->args.push_back(std::move(key));
        node = fin(std::move(item));
        continue;
      }
      auto attr = make(ExprKind::kGetAttr, at);
      attr->name = expect_name();
      attr->args.push_back(std::move(node));
      node = fin(std::move(attr));
    } else if (is_op("[")) {
      next();
      node = parse_subscript(std::move(node));
    } else if (is_op("(")) {
      node = parse_call(std::move(node));
    } else {
      return node;
    }
  }
}

// callee(args...), with the current token the "(".
ExprPtr Parser::parse_call(ExprPtr callee) {
  auto call = make(ExprKind::kCall, next());
  call->args.push_back(std::move(callee));
  parse_call_args(*call);
  return fin(std::move(call));
}

ExprPtr Parser::parse_subscript(ExprPtr obj) {
  const Token& at = cur();
  ExprPtr start = is_op(":") ? nullptr : is_op("]") ? fin(make(ExprKind::kTuple, at)) : parse_expression();
  if (start && is_op(",")) {  // x[a, b]: the key is a tuple
    auto tuple = make(ExprKind::kTuple, at);
    tuple->args.push_back(std::move(start));
    while (skip_op(",") && !is_op("]")) tuple->args.push_back(parse_expression());
    start = fin(std::move(tuple));
  }
  if (skip_op("]")) {
    auto item = make(ExprKind::kGetItem, at);
    item->args.push_back(std::move(obj));
    item->args.push_back(std::move(start));
    return fin(std::move(item));
  }
  expect_op(":");
  auto slice = make(ExprKind::kSlice, at);
  slice->args.push_back(std::move(obj));
  slice->args.push_back(std::move(start));
  slice->args.push_back(is_op("]") || is_op(":") ? nullptr : parse_expression());
  ExprPtr step;
  if (skip_op(":") && !is_op("]")) step = parse_expression();
  slice->args.push_back(std::move(step));
  expect_op("]");
  return fin(std::move(slice));
}

void Parser::parse_call_args(Expr& call) {
  while (!is_op(")")) {
    if (call.args.size() + call.kwargs.size() > 1) expect_op(",");
    if (is_op(")")) break;
    if (cur().type == Tok::kName && peek().type == Tok::kOp && peek().text == "=") {
      std::string key = next().text;
      next();
      call.kwargs.emplace_back(std::move(key), parse_expression());
    } else {
      if (!call.kwargs.empty()) error("positional argument follows keyword argument", cur());
      if (is_op("*") || is_op("**")) error("*args and **kwargs in calls are not supported", cur());
      call.args.push_back(parse_expression());
    }
  }
  next();
}

ExprPtr Parser::parse_filter_expr(ExprPtr node) {
  while (true) {
    if (is_op("|")) {
      next();
      node = parse_filter(std::move(node));
    } else if (is_name("is")) {
      next();
      node = parse_test(std::move(node));
    } else if (is_op("(")) {
      node = parse_call(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::parse_filter(ExprPtr subject) {
  DepthGuard guard(*this);
  const Token& at = cur();
  auto node = make(ExprKind::kFilter, at);
  node->name = expect_name();
  if (!soft_ && !find_filter(node->name)) error("no filter named '" + node->name + "'", at);
  node->args.push_back(std::move(subject));
  if (skip_op("(")) parse_call_args(*node);
  return fin(std::move(node));
}

ExprPtr Parser::parse_test(ExprPtr subject) {
  DepthGuard guard(*this);
  auto node = make(ExprKind::kTest, cur());
  node->negated = skip_name("not");
  const Token& at = cur();
  node->name = expect_name();
  if (!soft_ && !find_test(node->name)) error("no test named '" + node->name + "'", at);
  node->args.push_back(std::move(subject));
  if (skip_op("(")) {
    parse_call_args(*node);
  } else {
    const Token& t = cur();
    bool arg_start = t.type == Tok::kName || t.type == Tok::kString || t.type == Tok::kInt ||
                     t.type == Tok::kFloat || is_op("(") || is_op("[") || is_op("{");
    if (arg_start && !is_name("else") && !is_name("or") && !is_name("and"))
      node->args.push_back(parse_postfix(parse_primary()));
  }
  return fin(std::move(node));
}

}  // namespace mistralrs::chat
