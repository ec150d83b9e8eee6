// Chat-template rendering: a jinja2 engine that renders Hugging Face chat templates exactly as
// transformers does with Python jinja2 3.1 (ImmutableSandboxedEnvironment, trim_blocks,
// lstrip_blocks, loopcontrols, tojson = json.dumps(ensure_ascii=False), raise_exception,
// strftime_now). See docs/chat-templates.md for what is supported.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mistralrs::chat {

struct RenderOptions {
  int64_t now_unix_utc = -1;  // -1 = the system clock
};

// Renders `source` with the variables in `context` (a JSON object). Errors: syntax errors,
// undefined calls, type errors, sandbox refusals -> invalid_argument with the message and the
// template line/column; raise_exception(msg) -> invalid_argument whose message contains msg verbatim.
// Note: nlohmann::json sorts object keys, so `tojson` and `items()` then see sorted keys. Pass
// an ordered_json (or the JSON text) to keep the caller's key order as transformers does.
Expected<std::string> render_template(std::string_view source, const nlohmann::json& context,
                                      const RenderOptions& options = {});
Expected<std::string> render_template(std::string_view source, const nlohmann::ordered_json& context,
                                      const RenderOptions& options = {});
// `context_json`: the JSON text of an object; parsed keeping key order. Bad JSON -> invalid_argument.
Expected<std::string> render_template_json(std::string_view source, std::string_view context_json,
                                           const RenderOptions& options = {});

}  // namespace mistralrs::chat
