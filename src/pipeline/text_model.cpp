#include "pipeline/text_model.h"

#include "formats/gguf.h"
#include "tokenizer/gguf_vocab.h"

namespace mistralrs {

Expected<std::unique_ptr<TextModel>> TextModel::load(const std::string& path, const CacheOptions& cache) {
  auto m = LlamaModel::load(path);
  if (!m) return m.status();
  auto tm = std::make_unique<TextModel>();
  tm->model = std::move(m.value());
  auto tok = load_tokenizer_for_model(path);
  if (!tok) return tok.status();
  tm->tokenizer = std::move(tok.value());
  if (tm->tokenizer && tm->tokenizer->vocab_size() > tm->model->config().vocab_size)
    return invalid_argument("'" + path + "': the tokenizer has " + std::to_string(tm->tokenizer->vocab_size()) +
                            " tokens, more than the model's vocabulary of " +
                            std::to_string(tm->model->config().vocab_size));
  const ModelConfigMetadata meta = tm->model->metadata();  // spec points into it
  auto spec = kv_cache_spec(meta.cache_strategy);
  if (!spec) return spec.status();
  auto pool = KvBlockPool::create(*spec.value(), cache.block_size, cache.budget_bytes);
  if (!pool) return pool.status();
  tm->kv_pool = std::move(pool.value());
  if (cache.prefix_cache) tm->prefix_cache = std::make_unique<PrefixBlockCache>(*tm->kv_pool);
  return tm;
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
