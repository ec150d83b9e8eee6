// Per-session KV storage: for each layer, K and V as [capacity, n_kv_heads * head_dim],
// rows indexed by absolute position. On the CPU the elements are f32; on a CUDA device
// f32, f16 or bf16 (the spec's dtype), in device memory. Sized from a KvCache description
// (the model's cache_strategy) and a context length; nothing is allocated for a NoCache
// strategy.
#pragma once
#include <string>
#include <vector>

#include "cache/cache_strategy.h"
#include "core/tensor.h"

namespace mistralrs {

// Tensor::empty with `what` (the tensor's role) in front of any error message: a device
// allocation that does not fit is kOutOfMemory naming `what`, the bytes and the device, and
// nothing stays allocated. Used for device weights, KV buffers and workspaces.
Expected<Tensor> empty_on_device(Shape shape, DType dtype, Device device, const std::string& what);

class KvStore {
 public:
  static Expected<KvStore> create(const KvCache& spec, int64_t capacity, Device device = Device::cpu());

  int64_t capacity() const { return capacity_; }
  int64_t n_layers() const { return static_cast<int64_t>(keys_.size()); }
  Device device() const { return device_; }
  // [capacity, n_kv * head_dim] views of layer l.
  const TensorView& keys(int64_t l) const { return keys_[static_cast<size_t>(l)].view(); }
  const TensorView& values(int64_t l) const { return values_[static_cast<size_t>(l)].view(); }
  int64_t bytes() const;

 private:
  int64_t capacity_ = 0;
  Device device_;
  std::vector<Tensor> keys_, values_;
};

}  // namespace mistralrs
