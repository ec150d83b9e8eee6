// Splits template source into data and tag tokens the way jinja2's lexer does with
// trim_blocks=True and lstrip_blocks=True (newlines normalised to \n, one trailing newline dropped).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mistralrs::chat {

enum class Tok : uint8_t {
  kData,        // literal text (raw blocks included)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,      // text holds the unescaped value
  kInt,
  kFloat,
  kOp,          // text holds the operator: + - * / // % ** ~ ( ) [ ] { } == != < <= > >= = . : | ,
  kEof,
};

struct Token {
  Tok type = Tok::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0.0;
  int line = 1;
  int col = 1;
};

// Throws TemplateError ("TemplateSyntaxError: ... (line L, column C)") on malformed input.
std::vector<Token> tokenize(std::string_view source);

}  // namespace mistralrs::chat
