// Tag parsing: {% if %}, {% for %}, {% set %}, {% macro %}, {% call %}, {% filter %}, {% with %}.
#include <algorithm>

#include "tokenizer/chat/parser.h"
#include "tokenizer/chat/parser_state.h"

namespace mistralrs::chat {

Parser::DepthGuard::DepthGuard(Parser& p) : p_(p) {
  if (++p_.depth_ > kMaxParseDepth) p_.error("template is nested too deeply", p_.cur());
}

static std::string token_desc(const Token& t) {
  switch (t.type) {
    case Tok::kEof: return "end of template";
    case Tok::kBlockEnd: return "end of statement block";
    case Tok::kVarEnd: return "end of print statement";
    case Tok::kData: return "template data";
    case Tok::kString: return "string";
    default: return "'" + t.text + "'";
  }
}

void Parser::error(const std::string& what, const Token& at) const {
  fail("TemplateSyntaxError: " + what + " (line " + std::to_string(at.line) + ", column " +
       std::to_string(at.col) + ")");
}

void Parser::unexpected(const std::string& expected) const {
  error("expected " + expected + ", got " + token_desc(cur()), cur());
}

bool Parser::skip_op(std::string_view op) {
  if (!is_op(op)) return false;
  next();
  return true;
}

bool Parser::skip_name(std::string_view name) {
  if (!is_name(name)) return false;
  next();
  return true;
}

void Parser::expect_op(std::string_view op) {
  if (!skip_op(op)) unexpected("'" + std::string(op) + "'");
}

void Parser::expect_block_end() {
  if (cur().type != Tok::kBlockEnd) unexpected("end of statement block");
  next();
}

std::string Parser::expect_name() {
  if (cur().type != Tok::kName) unexpected("a name");
  return next().text;
}

ExprPtr Parser::make(ExprKind kind, const Token& at) const {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = at.line;
  e->col = at.col;
  return e;
}

ExprPtr Parser::fin(ExprPtr e) const {
  int d = 0;
  for (const auto& a : e->args)
    if (a) d = std::max(d, a->depth);
  for (const auto& kv : e->kwargs) d = std::max(d, kv.second->depth);
  e->depth = d + 1;
  if (e->depth > kMaxParseDepth) error("expression is nested too deeply", cur());
  return e;
}

Template Parser::parse() {
  Template t;
  t.body = parse_body({}, nullptr);
  return t;
}

Body Parser::parse_body(const std::vector<std::string_view>& stops, std::string* found) {
  DepthGuard guard(*this);
  Body body;
  while (true) {
    const Token& t = cur();
    if (t.type == Tok::kEof) {
      if (stops.empty()) return body;
      std::string want;
      for (auto s : stops) want += (want.empty() ? "'" : " or '") + std::string(s) + "'";
      error("unexpected end of template; jinja was looking for " + want, t);
    }
    if (t.type == Tok::kData) {
      auto s = std::make_unique<Stmt>();
      s->kind = StmtKind::kText;
      s->text = next().text;
      body.push_back(std::move(s));
    } else if (t.type == Tok::kVarBegin) {
      auto s = std::make_unique<Stmt>();
      s->kind = StmtKind::kOutput;
      s->line = t.line;
      s->col = t.col;
      next();
      s->expr = parse_tuple();
      if (cur().type != Tok::kVarEnd) unexpected("end of print statement");
      next();
      body.push_back(std::move(s));
    } else if (t.type == Tok::kBlockBegin) {
      const Token& name = peek();
      if (name.type == Tok::kName && std::find(stops.begin(), stops.end(), name.text) != stops.end()) {
        next();
        *found = next().text;
        return body;
      }
      next();
      body.push_back(parse_statement());
    } else {
      unexpected("template data or a tag");
    }
  }
}

std::unique_ptr<Stmt> Parser::parse_statement() {
  const Token& t = cur();
  if (t.type != Tok::kName) unexpected("a tag name");
  auto s = std::make_unique<Stmt>();
  s->line = t.line;
  s->col = t.col;
  std::string tag = next().text;
  if (tag == "if") {
    parse_if(*s);
  } else if (tag == "for") {
    parse_for(*s);
  } else if (tag == "set") {
    parse_set(*s);
  } else if (tag == "macro") {
    parse_macro(*s);
  } else if (tag == "call") {
    parse_call_block(*s);
  } else if (tag == "filter") {
    parse_filter_block(*s);
  } else if (tag == "with") {
    parse_with(*s);
  } else if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) error("'" + tag + "' outside of a loop", t);
    s->kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    expect_block_end();
  } else {
    error("encountered unknown tag '" + tag + "'", t);
  }
  return s;
}

void Parser::parse_if(Stmt& s) {
  s.kind = StmtKind::kIf;
  bool saved = soft_;
  soft_ = true;
  std::string found;
  ExprPtr cond = parse_tuple(false);
  while (true) {
    expect_block_end();
    Body body = parse_body({"elif", "else", "endif"}, &found);
    s.branches.emplace_back(std::move(cond), std::move(body));
    if (found == "elif") {
      cond = parse_tuple(false);
      continue;
    }
    if (found == "else") {
      expect_block_end();
      s.else_body = parse_body({"endif"}, &found);
    }
    break;
  }
  expect_block_end();
  soft_ = saved;
}

void Parser::parse_targets(Stmt& s) {
  bool paren = skip_op("(");
  s.targets.push_back(expect_name());
  while (skip_op(",")) {
    s.tuple_target = true;
    if (cur().type != Tok::kName) break;
    s.targets.push_back(expect_name());
  }
  if (paren) {
    s.tuple_target = true;
    expect_op(")");
  }
}

void Parser::parse_for(Stmt& s) {
  s.kind = StmtKind::kFor;
  parse_targets(s);
  if (!skip_name("in")) unexpected("'in'");
  s.expr = parse_tuple(false);
  if (skip_name("if")) s.cond = parse_expression();
  if (is_name("recursive")) error("recursive loops are not supported", cur());
  expect_block_end();
  bool saved = soft_;
  soft_ = false;
  ++loop_depth_;
  int loop_before = loop_refs_;
  std::string found;
  s.body = parse_body({"endfor", "else"}, &found);
  s.uses_loop = loop_refs_ > loop_before;
  --loop_depth_;
  if (found == "else") {
    expect_block_end();
    s.else_body = parse_body({"endfor"}, &found);
  }
  expect_block_end();
  soft_ = saved;
}

void Parser::parse_set(Stmt& s) {
  s.kind = StmtKind::kSet;
  if (cur().type == Tok::kName && peek().type == Tok::kOp && peek().text == ".") {
    s.targets.push_back(next().text);
    next();
    s.attr = expect_name();
  } else {
    parse_targets(s);
  }
  if (skip_op("=")) {
    s.expr = parse_tuple();
    expect_block_end();
    return;
  }
  if (s.tuple_target || !s.attr.empty()) unexpected("'='");
  s.kind = StmtKind::kSetBlock;
  while (skip_op("|")) s.filters.push_back(parse_filter(nullptr));
  expect_block_end();
  std::string found;
  s.body = parse_body({"endset"}, &found);
  expect_block_end();
}

void Parser::parse_params(Stmt& s) {
  expect_op("(");
  while (!is_op(")")) {
    if (!s.params.empty()) expect_op(",");
    if (is_op(")")) break;
    s.params.push_back(expect_name());
    s.defaults.push_back(skip_op("=") ? parse_expression() : nullptr);
  }
  next();
}

void Parser::parse_macro(Stmt& s) {
  s.kind = StmtKind::kMacro;
  s.name = expect_name();
  parse_params(s);
  expect_block_end();
  bool saved = soft_;
  int saved_loops = loop_depth_;
  soft_ = false;
  loop_depth_ = 0;
  int varargs_before = varargs_refs_, kwargs_before = kwargs_refs_;
  std::string found;
  s.body = parse_body({"endmacro"}, &found);
  s.uses_varargs = varargs_refs_ > varargs_before;
  s.uses_kwargs = kwargs_refs_ > kwargs_before;
  if (cur().type == Tok::kName) next();  // {% endmacro name %}
  expect_block_end();
  soft_ = saved;
  loop_depth_ = saved_loops;
}

void Parser::parse_call_block(Stmt& s) {
  s.kind = StmtKind::kCallBlock;
  if (is_op("(")) parse_params(s);
  const Token& at = cur();
  s.expr = parse_expression();
  if (s.expr->kind != ExprKind::kCall) error("expected a call after {% call %}", at);
  expect_block_end();
  bool saved = soft_;
  int saved_loops = loop_depth_;
  soft_ = false;
  loop_depth_ = 0;
  std::string found;
  s.body = parse_body({"endcall"}, &found);
  expect_block_end();
  soft_ = saved;
  loop_depth_ = saved_loops;
}

void Parser::parse_filter_block(Stmt& s) {
  s.kind = StmtKind::kFilterBlock;
  s.filters.push_back(parse_filter(nullptr));
  while (skip_op("|")) s.filters.push_back(parse_filter(nullptr));
  expect_block_end();
  std::string found;
  s.body = parse_body({"endfilter"}, &found);
  expect_block_end();
}

void Parser::parse_with(Stmt& s) {
  s.kind = StmtKind::kWith;
  while (cur().type != Tok::kBlockEnd) {
    if (!s.targets.empty()) expect_op(",");
    s.targets.push_back(expect_name());
    expect_op("=");
    s.values.push_back(parse_expression());
  }
  expect_block_end();
  std::string found;
  s.body = parse_body({"endwith"}, &found);
  expect_block_end();
}

Template parse_template(std::string_view source) { return Parser(tokenize(source)).parse(); }

}  // namespace mistralrs::chat
