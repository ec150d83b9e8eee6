#include "tokenizer/chat/chat_template.h"

#include <new>

#include "tokenizer/chat/interpreter.h"
#include "tokenizer/chat/parser.h"

namespace mistralrs::chat {
namespace {

// Parses, converts the context and renders; every internal exception becomes a Status here.
template <class Json>
Expected<std::string> render(std::string_view source, const Json& context, const RenderOptions& options) {
  Template tmpl;
  Value ctx;
  try {
    tmpl = parse_template(source);
    if (!context.is_null() && !context.is_object()) return invalid_argument("chat template: the context must be a JSON object");
    ctx = from_json(context);
  } catch (const TemplateError& e) {
    return invalid_argument("chat template: " + e.message());
  } catch (const std::bad_alloc&) {
    return out_of_memory("chat template: out of memory while parsing");
  } catch (const std::exception& e) {
    return invalid_argument(std::string("chat template: ") + e.what());
  }
  Interpreter interpreter(options);
  try {
    return interpreter.render(tmpl, ctx);
  } catch (const TemplateError& e) {
    return invalid_argument("chat template: " + e.message() + " (line " + std::to_string(interpreter.line()) +
                            ", column " + std::to_string(interpreter.col()) + ")");
  } catch (const std::bad_alloc&) {
    return out_of_memory("chat template: out of memory while rendering");
  } catch (const std::exception& e) {
    return invalid_argument(std::string("chat template: ") + e.what());
  }
}

}  // namespace

Expected<std::string> render_template(std::string_view source, const nlohmann::json& context,
                                      const RenderOptions& options) {
  return render(source, context, options);
}

Expected<std::string> render_template(std::string_view source, const nlohmann::ordered_json& context,
                                      const RenderOptions& options) {
  return render(source, context, options);
}

Expected<std::string> render_template_json(std::string_view source, std::string_view context_json,
                                           const RenderOptions& options) {
  nlohmann::ordered_json context;
  try {
    context = nlohmann::ordered_json::parse(context_json.begin(), context_json.end(), nullptr, true, false);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("chat template: the context is not valid JSON: ") + e.what());
  }
  return render(source, context, options);
}

}  // namespace mistralrs::chat
