#include "pipeline/text_model.h"

#include "formats/gguf.h"
#include "pipeline/device_option.h"
#include "tokenizer/gguf_vocab.h"

namespace mistralrs {

namespace {

// Before reading any weight: the device must exist and the options must suit it.
Status check_load_device(const Device& device, const CacheOptions& cache) {
  MISTRALRS_RETURN_IF_ERROR(check_device_usable(device));
  if (device.is_cuda() && cache.prefix_cache)
    return unsupported("prefix caching is CPU-only for now; turn it off to load on " + device.to_string());
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<TextModel>> TextModel::load(const std::string& path, const CacheOptions& cache,
                                                     Device device) {
  MISTRALRS_RETURN_IF_ERROR(check_load_device(device, cache));
  auto m = LlamaModel::load(path, device);
  if (!m) return m.status();
  auto tm = std::make_unique<TextModel>();
  tm->model = std::move(m.value());
  auto tok = load_tokenizer_for_model(path);
  if (!tok) return tok.status();
  tm->tokenizer = std::move(tok.value());
  MISTRALRS_RETURN_IF_ERROR(tm->finish_load(path, cache));
  return tm;
}

Expected<std::unique_ptr<TextModel>> TextModel::from_gguf(std::unique_ptr<GgufFile> gguf, const CacheOptions& cache,
                                                          Device device) {
  if (!gguf) return invalid_argument("from_gguf: no GGUF");
  MISTRALRS_RETURN_IF_ERROR(check_load_device(device, cache));
  auto tok = tokenizer_from_gguf(*gguf);  // before the decoder takes the file
  if (!tok) return tok.status();
  const std::string origin = gguf->origin();
  auto m = LlamaModel::from_gguf(std::move(gguf), device);
  if (!m) return m.status();
  auto tm = std::make_unique<TextModel>();
  tm->model = std::move(m.value());
  tm->tokenizer = std::move(tok.value());
  MISTRALRS_RETURN_IF_ERROR(tm->finish_load(origin, cache));
  return tm;
}

Status TextModel::finish_load(const std::string& origin, const CacheOptions& cache) {
  if (tokenizer && tokenizer->vocab_size() > model->config().vocab_size)
    return invalid_argument("'" + origin + "': the tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                            " tokens, more than the model's vocabulary of " +
                            std::to_string(model->config().vocab_size));
  const ModelConfigMetadata meta = model->metadata();  // spec points into it
  auto spec = kv_cache_spec(meta.cache_strategy);
  if (!spec) return spec.status();
  auto pool = KvBlockPool::create(*spec.value(), cache.block_size, cache.budget_bytes);
  if (!pool) return pool.status();
  kv_pool = std::move(pool.value());
  if (cache.prefix_cache) prefix_cache = std::make_unique<PrefixBlockCache>(*kv_pool);
  return Status::ok();
}

CacheStrategy TextModel::cache_strategy() const {
  CacheStrategy s = model->metadata().cache_strategy;
  if (!prefix_cache) return s;
  const auto* kv = std::get_if<KvCache>(&s);
  if (!kv) return s;
  return PrefixCache{*kv, kv_pool->block_size()};
}

ModelConfigMetadata TextModel::metadata() const {
  ModelConfigMetadata m = model->metadata();
  m.cache_strategy = cache_strategy();
  return m;
}

}  // namespace mistralrs
