#include "cache/cache_strategy.h"

namespace mistralrs {

int64_t KvCache::bytes_per_token(size_t layer) const {
  const KvLayerShape& l = layers.at(layer);
  return 2 * dtype_bytes(dtype, l.n_kv_heads * l.head_dim);
}

Expected<const KvCache*> kv_cache_spec(const CacheStrategy& strategy) {
  if (const auto* kv = std::get_if<KvCache>(&strategy)) return kv;
  if (const auto* pc = std::get_if<PrefixCache>(&strategy)) return &pc->kv;
  return invalid_argument("this pipeline keeps no cache (NoCache): it has no KV shapes");
}

const char* cache_strategy_name(const CacheStrategy& strategy) {
  switch (strategy.index()) {
    case 0: return "kv";
    case 1: return "none";
    default: return "prefix";
  }
}

}  // namespace mistralrs
