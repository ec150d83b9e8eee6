// mistralrs_model_* and the tokenizer functions.
#include <cstring>

#include "capi/guard.h"
#include "capi/handles.h"
#include "pipeline/device_option.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

namespace mistralrs::capi {

CacheOptions cache_options(const mistralrs_model_options* options) {
  const mistralrs_model_options defaults;
  const mistralrs_model_options& o = options ? *options : defaults;
  CacheOptions cache;
  if (o.kv_budget_bytes > 0) cache.budget_bytes = o.kv_budget_bytes;
  cache.prefix_cache = o.prefix_cache != 0;
  return cache;
}

Device model_device(const mistralrs_model_options* options) {
  return options ? options->device : Device::cpu();
}

Status make_model(mistralrs_runtime* runtime, Expected<std::unique_ptr<TextModel>> loaded, const std::string& origin,
                  mistralrs_model** out) {
  if (!loaded) {
    runtime->logger->error("loading '{}' failed: {}", origin, loaded.status().message());
    return loaded.status();
  }
  auto m = std::make_unique<mistralrs_model>();
  m->runtime = runtime;
  m->text = std::move(loaded.value());
  m->tokenizer_handle.impl = m->text->tokenizer.get();
  const ModelConfig& c = m->text->model->config();
  runtime->logger->info("loaded '{}' on {}: {} layers, hidden {}, {} heads / {} KV heads, vocab {}{}", origin,
                        m->text->device().to_string(), c.num_hidden_layers, c.hidden_size, c.num_attention_heads,
                        c.num_key_value_heads, c.vocab_size, m->text->tokenizer ? "" : " (no tokenizer)");
  *out = m.release();
  return Status::ok();
}

}  // namespace mistralrs::capi

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
                                           const mistralrs_model_options* options,
                                           mistralrs_model** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!runtime) return null_argument("runtime");
    if (!path) return null_argument("path");
    return capi::make_model(runtime, TextModel::load(path, capi::cache_options(options), capi::model_device(options)), path, out);
  });
}

MISTRALRS_API void mistralrs_model_free(mistralrs_model* model) { delete model; }

MISTRALRS_API int32_t mistralrs_model_options_set_kv_budget(mistralrs_model_options* options, int64_t bytes) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    if (bytes < 0) return invalid_argument("the KV budget must be >= 0 bytes, got " + std::to_string(bytes));
    options->kv_budget_bytes = bytes;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_model_options_set_prefix_cache(mistralrs_model_options* options, int32_t enabled) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    options->prefix_cache = enabled != 0;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_model_options_set_device(mistralrs_model_options* options, const char* device) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    if (!device) return null_argument("device");
    auto d = parse_device(device);
    if (!d) return d.status();
    MISTRALRS_RETURN_IF_ERROR(check_device_usable(d.value()));
    options->device = d.value();
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_model_cache_strategy(const mistralrs_model* model) {
  if (!model) return -capi::set_error(StatusCode::kInvalidArgument, "mistralrs_model_cache_strategy: model is NULL");
  const CacheStrategy s = model->text->cache_strategy();
  if (std::holds_alternative<NoCache>(s)) return MISTRALRS_CACHE_NONE;
  return std::holds_alternative<PrefixCache>(s) ? MISTRALRS_CACHE_PREFIX : MISTRALRS_CACHE_KV;
}

MISTRALRS_API int32_t mistralrs_prefix_cache_stats(const mistralrs_model* model, int64_t* lookups,
                                                   int64_t* hit_blocks, int64_t* tokens_reused,
                                                   int64_t* evictions, int64_t* cached_blocks) {
  return guarded(__func__, [&]() -> Status {
    if (!model) return null_argument("model");
    const PrefixCacheStats st = model->text->prefix_cache ? model->text->prefix_cache->stats() : PrefixCacheStats{};
    if (lookups) *lookups = st.lookups;
    if (hit_blocks) *hit_blocks = st.hit_blocks;
    if (tokens_reused) *tokens_reused = st.tokens_reused;
    if (evictions) *evictions = st.evictions;
    if (cached_blocks) *cached_blocks = st.cached_blocks;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_model_kv_usage(const mistralrs_model* model, int64_t* used_bytes,
                                               int64_t* budget_bytes) {
  return guarded(__func__, [&]() -> Status {
    if (!model) return null_argument("model");
    const KvBlockPool* pool = model->text->kv_pool.get();
    if (used_bytes) *used_bytes = pool ? pool->used_bytes() : 0;
    if (budget_bytes) *budget_bytes = pool ? pool->budget_bytes() : KvBlockPool::kUnlimited;
    return Status::ok();
  });
}

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
