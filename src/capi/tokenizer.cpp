// mistralrs_tokenizer_load / _load_from_memory / _free, mistralrs_chat_template_render and
// mistralrs_tokenizer_apply_chat_template.
#include <cstdlib>
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"
#include "tokenizer/apply_chat_template.h"
#include "tokenizer/chat/chat_template.h"
#include "tokenizer/load.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

namespace {

// A malloc'd copy for mistralrs_string_free.
Status give_string(const std::string& s, char** out) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return out_of_memory("cannot allocate " + std::to_string(s.size() + 1) + " bytes for the text");
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  *out = p;
  return Status::ok();
}

}  // namespace

extern "C" {

MISTRALRS_API int32_t mistralrs_tokenizer_load(const char* path, mistralrs_tokenizer** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!path) return null_argument("path");
    auto loaded = load_tokenizer(path);
    if (!loaded) return loaded.status();
    auto handle = std::make_unique<mistralrs_tokenizer>();
    handle->owned = std::move(loaded).value();
    handle->impl = handle->owned.get();
    *out = handle.release();
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_tokenizer_load_from_memory(const void* data, size_t size,
                                                           const char* tokenizer_config_json,
                                                           mistralrs_tokenizer** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!data) return null_argument("data");
    if (size == 0) return invalid_argument("size is 0: the buffer is empty");
    auto loaded = load_tokenizer_from_memory(std::string_view(static_cast<const char*>(data), size),
                                             tokenizer_config_json ? tokenizer_config_json : "");
    if (!loaded) return loaded.status();
    auto handle = std::make_unique<mistralrs_tokenizer>();
    handle->owned = std::move(loaded).value();
    handle->impl = handle->owned.get();
    *out = handle.release();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_tokenizer_free(mistralrs_tokenizer* tokenizer) {
  if (tokenizer && tokenizer->owned) delete tokenizer;  // a model's borrowed handle has no owner
}

MISTRALRS_API int32_t mistralrs_chat_template_render(const char* template_source, const char* context_json,
                                                     int64_t now_unix_utc, char** out_text) {
  return guarded(__func__, [&]() -> Status {
    if (!out_text) return null_argument("out_text");
    *out_text = nullptr;
    if (!template_source) return null_argument("template_source");
    if (!context_json) return null_argument("context_json");
    if (now_unix_utc < -1) return invalid_argument("now_unix_utc must be -1 (the clock) or >= 0");
    chat::RenderOptions options;
    options.now_unix_utc = now_unix_utc;
    auto text = chat::render_template_json(template_source, context_json, options);
    if (!text) return text.status();
    return give_string(text.value(), out_text);
  });
}

MISTRALRS_API int32_t mistralrs_tokenizer_apply_chat_template(const mistralrs_tokenizer* tokenizer,
                                                              const char* messages_json,
                                                              int32_t add_generation_prompt, char** out_text) {
  return guarded(__func__, [&]() -> Status {
    if (!out_text) return null_argument("out_text");
    *out_text = nullptr;
    if (!tokenizer || !tokenizer->impl) return null_argument("tokenizer");
    if (!messages_json) return null_argument("messages_json");
    auto text = apply_chat_template(*tokenizer->impl, messages_json, add_generation_prompt != 0);
    if (!text) return text.status();
    return give_string(text.value(), out_text);
  });
}

}  // extern "C"
