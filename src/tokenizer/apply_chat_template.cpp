#include "tokenizer/apply_chat_template.h"

#include <nlohmann/json.hpp>

#include "tokenizer/chat/chat_template.h"

namespace mistralrs {
namespace {

std::string special_text(const Tokenizer& tokenizer, int32_t id) {
  return id < 0 ? std::string() : tokenizer.token_bytes(id, /*render_special=*/true);
}

}  // namespace

Expected<std::string> apply_chat_template(const Tokenizer& tokenizer, std::string_view messages_json,
                                          bool add_generation_prompt, int64_t now_unix_utc) {
  if (tokenizer.chat_template().empty()) {
    return invalid_argument("the tokenizer has no chat template");
  }
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(messages_json, nullptr, false);
  if (parsed.is_discarded()) return invalid_argument("messages: not valid JSON");
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  if (parsed.is_array()) {
    context["messages"] = std::move(parsed);
  } else if (parsed.is_object() && parsed.contains("messages") && parsed["messages"].is_array()) {
    context = std::move(parsed);
  } else {
    return invalid_argument("messages: expected a JSON array of messages or an object with \"messages\"");
  }
  if (!context.contains("add_generation_prompt")) context["add_generation_prompt"] = add_generation_prompt;
  if (!context.contains("bos_token")) context["bos_token"] = special_text(tokenizer, tokenizer.bos_id());
  if (!context.contains("eos_token")) context["eos_token"] = special_text(tokenizer, tokenizer.eos_id());
  chat::RenderOptions options;
  options.now_unix_utc = now_unix_utc;
  return chat::render_template(tokenizer.chat_template(), context, options);
}

}  // namespace mistralrs
