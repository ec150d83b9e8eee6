// Recursive-descent parser for jinja2 templates: tokens -> Template.
#pragma once
#include <string_view>

#include "tokenizer/chat/ast.h"

namespace mistralrs::chat {

// Throws TemplateError("TemplateSyntaxError: ... (line L, column C)") on malformed input,
// an unknown tag, or (as jinja2 does at compile time) an unknown filter or test outside `if`.
Template parse_template(std::string_view source);

}  // namespace mistralrs::chat
