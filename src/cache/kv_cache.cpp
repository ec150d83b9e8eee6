#include "cache/kv_cache.h"

namespace mistralrs {

Expected<Tensor> empty_on_device(Shape shape, DType dtype, Device device, const std::string& what) {
  auto t = Tensor::empty(shape, dtype, device);
  if (!t) return Status(t.status().code(), what + ": " + t.status().message());
  return t;
}

Expected<KvStore> KvStore::create(const KvCache& spec, int64_t capacity, Device device) {
  if (capacity <= 0) return invalid_argument("KV cache capacity must be positive");
  if (device.is_cpu() && spec.dtype != DType::kF32) return unsupported("KV cache dtype must be f32 on the CPU");
  if (spec.dtype != DType::kF32 && spec.dtype != DType::kF16 && spec.dtype != DType::kBF16)
    return unsupported("KV cache dtype must be f32, f16 or bf16");
  KvStore s;
  s.capacity_ = capacity;
  s.device_ = device;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const KvLayerShape& l = spec.layers[i];
    const int64_t width = l.n_kv_heads * l.head_dim;
    const std::string what = "the KV cache of " + std::to_string(capacity) + " tokens, layer " + std::to_string(i);
    auto k = empty_on_device({capacity, width}, spec.dtype, device, what + " keys");
    if (!k) return k.status();
    auto v = empty_on_device({capacity, width}, spec.dtype, device, what + " values");
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
