// libFuzzer target: render arbitrary template text with a small chat context and a fixed clock.
// A rejected template must come with a message; nothing may crash, hang or exhaust memory.
#include <string>

#include "tokenizer/chat/chat_template.h"

using namespace mistralrs;

namespace {

const nlohmann::ordered_json& fuzz_context() {
  static const nlohmann::ordered_json ctx = nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function":
        {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
      {"role": "tool", "content": "{\"temp_c\": 12}"},
      {"role": "user", "content": [{"type": "text", "text": "Thanks"}, {"type": "image"}]}
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "n": 3, "x": 0.5
  })");
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  chat::RenderOptions options;
  options.now_unix_utc = 1795694400;
  auto r = chat::render_template(text, fuzz_context(), options);
  if (!r.is_ok() && r.status().message().empty()) __builtin_trap();
  return 0;
}
