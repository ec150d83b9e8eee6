// A tokenizer's own chat template rendered with its BOS/EOS token text, as transformers'
// apply_chat_template(tokenize=False) does.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

// messages_json: a JSON array of messages, or a JSON object of template variables that holds
// "messages" (and optionally "tools", "documents", ...). bos_token, eos_token and
// add_generation_prompt are filled in unless the object sets them. Fails when the tokenizer
// has no chat template or the template fails.
Expected<std::string> apply_chat_template(const Tokenizer& tokenizer, std::string_view messages_json,
                                          bool add_generation_prompt, int64_t now_unix_utc = -1);

}  // namespace mistralrs
