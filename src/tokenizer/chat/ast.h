// Syntax tree of a parsed template: expressions and statements.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/chat/value.h"

namespace mistralrs::chat {

enum class ExprKind : uint8_t {
  kConst,    // value
  kName,     // name
  kGetAttr,  // args[0].name
  kGetItem,  // args[0][args[1]]
  kSlice,    // args[0][args[1]:args[2]:args[3]] (null = omitted)
  kCall,     // args[0](args[1..], kwargs)
  kFilter,   // args[0] | name(args[1..], kwargs); args[0] is null inside {% filter %}
  kTest,     // args[0] is [not] name(args[1..], kwargs)
  kUnary,    // name in {"-", "+", "not"} applied to args[0]
  kBinary,   // args[0] name args[1]; name in + - * / // % ** ~
  kCompare,  // args[0] ops[0] args[1] ops[1] args[2] ...
  kAnd,
  kOr,
  kCond,     // args[1] if args[0] else args[2] (args[2] may be null)
  kList,
  kTuple,
  kDict,     // args: key0, value0, key1, value1, ...
};

struct Expr {
  ExprKind kind = ExprKind::kConst;
  int line = 0;
  int col = 0;
  Value value;
  std::string name;
  std::vector<std::unique_ptr<Expr>> args;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
  int depth = 1;  // height of this subtree; the parser bounds it so evaluation cannot overflow the stack
};
using ExprPtr = std::unique_ptr<Expr>;

enum class StmtKind : uint8_t {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // branches (cond, body); else_body
  kFor,          // targets in expr [if cond] body else_body
  kSet,          // targets = expr, or {% set ns.attr = expr %} (attr non-empty)
  kSetBlock,     // {% set target %}body{% endset %}, optional filters
  kMacro,        // name(params=defaults) body
  kCallBlock,    // {% call(params) expr %}body{% endcall %}
  kFilterBlock,  // {% filter filters %}body{% endfilter %}
  kWith,         // {% with targets = values %}body{% endwith %}
  kBreak,
  kContinue,
};

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

struct Stmt {
  StmtKind kind = StmtKind::kText;
  int line = 0;
  int col = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr cond;                      // kFor: the `if` filter
  std::vector<std::string> targets;  // names; several = tuple unpacking
  bool tuple_target = false;
  std::string attr;                  // kSet on a namespace attribute
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::string name;                    // kMacro
  std::vector<std::string> params;     // kMacro, kCallBlock
  std::vector<ExprPtr> defaults;       // aligned with params; null = no default
  bool uses_varargs = false;           // kMacro: the body reads `varargs` (else extra args fail)
  bool uses_kwargs = false;            // kMacro: the body reads `kwargs`
  bool uses_loop = false;              // kFor: the body (or filter) reads `loop`
  std::vector<ExprPtr> filters;        // kFilterBlock, kSetBlock: kFilter nodes with args[0] null
  std::vector<ExprPtr> values;         // kWith: aligned with targets
};

struct Template {
  Body body;
};

}  // namespace mistralrs::chat
