#include "cache/kv_cache.h"

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

namespace mistralrs {

#ifdef MISTRALRS_HAS_CUDA
namespace {
class DeviceStorage final : public Storage {
 public:
  DeviceStorage(void* p, size_t n, int dev) : ptr_(p), size_(n), dev_(dev) {}
  ~DeviceStorage() override { kernels::cuda_free(ptr_); }
  void* data() override { return ptr_; }
  size_t size() const override { return size_; }
  Device device() const override { return Device::cuda(dev_); }

 private:
  void* ptr_;
  size_t size_;
  int dev_;
};
}  // namespace
#endif

Expected<Tensor> empty_on_device(Shape shape, DType dtype, Device device, const std::string& what) {
  if (device.is_cpu()) return Tensor::empty(shape, dtype, device);
#ifdef MISTRALRS_HAS_CUDA
  for (int i = 0; i < shape.rank; ++i)
    if (shape[i] < 0) return invalid_argument(what + ": negative dimension in " + shape.to_string());
  if (shape.rank > 0 && !row_size_ok(dtype, shape[shape.rank - 1]))
    return invalid_argument(what + ": last dimension of " + shape.to_string() + " is not a whole number of " +
                            std::string(dtype_name(dtype)) + " blocks");
  const size_t bytes = static_cast<size_t>(dtype_bytes(dtype, shape.numel()));
  void* p = nullptr;
  const int err = kernels::cuda_malloc(&p, bytes, device.index);
  if (err != 0) {
    kernels::cuda_clear_last_error();  // an allocation failure is not sticky; leave no trace
    const std::string where = what + " (" + std::to_string(bytes) + " bytes on " + device.to_string() + ")";
    if (kernels::cuda_is_out_of_memory(err)) return out_of_memory("out of device memory for " + where);
    return cuda_error("cudaMalloc for " + where + ": " + kernels::cuda_error_string(err));
  }
  std::shared_ptr<Storage> storage;
  try {
    storage = std::make_shared<DeviceStorage>(p, bytes, device.index);
  } catch (...) {
    kernels::cuda_free(p);
    return out_of_memory(what + ": cannot allocate the storage header");
  }
  return Tensor::from_storage(std::move(storage), 0, shape, dtype);
#else
  return unsupported(what + ": this build of libmistralrs has no CUDA support");
#endif
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
