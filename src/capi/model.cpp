// mistralrs_model_* and the tokenizer functions.
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

extern "C" {

MISTRALRS_API int32_t mistralrs_model_options_create(mistralrs_model_options** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = new mistralrs_model_options();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_model_options_free(mistralrs_model_options* options) { delete options; }

MISTRALRS_API int32_t mistralrs_model_load(mistralrs_runtime* runtime, const char* path,
                                           const mistralrs_model_options* /*options*/,
                                           mistralrs_model** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!runtime) return null_argument("runtime");
    if (!path) return null_argument("path");
    auto tm = TextModel::load(path);
    if (!tm) {
      runtime->logger->error("loading '{}' failed: {}", path, tm.status().message());
      return tm.status();
    }
    auto m = std::make_unique<mistralrs_model>();
    m->runtime = runtime;
    m->text = std::move(tm.value());
    m->tokenizer_handle.impl = m->text->tokenizer.get();
    const ModelConfig& c = m->text->model->config();
    runtime->logger->info("loaded '{}': {} layers, hidden {}, {} heads / {} KV heads, vocab {}{}", path,
                          c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.num_key_value_heads,
                          c.vocab_size, m->text->tokenizer ? "" : " (no tokenizer)");
    *out = m.release();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_model_free(mistralrs_model* model) { delete model; }

MISTRALRS_API int32_t mistralrs_model_vocab_size(const mistralrs_model* model) {
  if (!model) return -capi::set_error(StatusCode::kInvalidArgument, "mistralrs_model_vocab_size: model is NULL");
  return static_cast<int32_t>(model->text->model->config().vocab_size);
}

MISTRALRS_API int32_t mistralrs_model_context_length(const mistralrs_model* model) {
  if (!model) return -capi::set_error(StatusCode::kInvalidArgument, "mistralrs_model_context_length: model is NULL");
  return static_cast<int32_t>(model->text->model->config().max_position_embeddings);
}

MISTRALRS_API const mistralrs_tokenizer* mistralrs_model_tokenizer(const mistralrs_model* model) {
  if (!model || !model->tokenizer_handle.impl) return nullptr;
  return &model->tokenizer_handle;
}

}  // extern "C"
