#include "cache/kv_cache.h"

namespace mistralrs {

Expected<KvStore> KvStore::create(const KvCache& spec, int64_t capacity) {
  if (capacity <= 0) return invalid_argument("KV cache capacity must be positive");
  if (spec.dtype != DType::kF32) return unsupported("KV cache dtype must be f32 for now");
  KvStore s;
  s.capacity_ = capacity;
  for (const KvLayerShape& l : spec.layers) {
    const int64_t width = l.n_kv_heads * l.head_dim;
    auto k = Tensor::empty({capacity, width}, spec.dtype);
    if (!k) return k.status();
    auto v = Tensor::empty({capacity, width}, spec.dtype);
    if (!v) return v.status();
    s.keys_.push_back(std::move(k.value()));
    s.values_.push_back(std::move(v.value()));
  }
  return s;
}

int64_t KvStore::bytes() const {
  int64_t b = 0;
  for (size_t i = 0; i < keys_.size(); ++i)
    b += static_cast<int64_t>(keys_[i].nbytes() + values_[i].nbytes());
  return b;
}

}  // namespace mistralrs
