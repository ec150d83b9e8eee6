// Per-session KV storage: for each layer, K and V as f32 [capacity, n_kv_heads * head_dim],
// rows indexed by absolute position. Sized from a KvCache description (the model's
// cache_strategy) and a context length; nothing is allocated for a NoCache strategy.
#pragma once
#include <vector>

#include "cache/cache_strategy.h"
#include "core/tensor.h"

namespace mistralrs {

class KvStore {
 public:
  static Expected<KvStore> create(const KvCache& spec, int64_t capacity);

  int64_t capacity() const { return capacity_; }
  int64_t n_layers() const { return static_cast<int64_t>(keys_.size()); }
  // [capacity, n_kv * head_dim] views of layer l.
  const TensorView& keys(int64_t l) const { return keys_[static_cast<size_t>(l)].view(); }
  const TensorView& values(int64_t l) const { return values_[static_cast<size_t>(l)].view(); }
  int64_t bytes() const;

 private:
  int64_t capacity_ = 0;
  std::vector<Tensor> keys_, values_;
};

}  // namespace mistralrs
