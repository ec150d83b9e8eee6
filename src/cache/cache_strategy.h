// What a pipeline needs the engine to keep between steps, as a type rather than as
// sentinel numbers: a KV cache (with its per-layer shapes), no cache at all (diffusion,
// speech), or a KV cache whose blocks may be shared between requests with a common prompt
// prefix. The engine allocates from `ModelConfigMetadata::cache_strategy` alone.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace mistralrs {

// One attention layer's cache needs. sliding_window > 0 means the layer only ever reads the
// last `sliding_window` positions, so it keeps no more than that.
struct KvLayerShape {
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t sliding_window = 0;  // 0 = full context
};

struct KvCache {
  std::vector<KvLayerShape> layers;  // one entry per layer, in order
  DType dtype = DType::kF32;         // element type of the cached keys and values

  // Bytes of K and V for one token in one layer (2 * heads * head_dim * element size).
  int64_t bytes_per_token(size_t layer) const;
};

struct NoCache {};

struct PrefixCache {
  KvCache kv;
  int64_t block_size = 16;  // tokens per shareable block
};

using CacheStrategy = std::variant<KvCache, NoCache, PrefixCache>;

// The KV description of a strategy, or an error for NoCache: asking a cache-less pipeline
// for cache shapes is a checked error, not a silent dummy.
Expected<const KvCache*> kv_cache_spec(const CacheStrategy& strategy);
const char* cache_strategy_name(const CacheStrategy& strategy);

struct ModelConfigMetadata {
  int64_t max_seq_len = 0;
  int64_t hidden_size = 0;
  int64_t n_attention_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t sliding_window = 0;  // 0 = none
  DType activation_dtype = DType::kF32;
  CacheStrategy cache_strategy = NoCache{};
};

}  // namespace mistralrs
