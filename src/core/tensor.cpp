#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

namespace mistralrs {

Shape::Shape(std::initializer_list<int64_t> d) {
  for (int64_t v : d) dims[static_cast<size_t>(rank++)] = v;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= dims[static_cast<size_t>(i)];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (rank != o.rank) return false;
  for (int i = 0; i < rank; ++i)
    if (dims[static_cast<size_t>(i)] != o.dims[static_cast<size_t>(i)]) return false;
  return true;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[static_cast<size_t>(i)]);
  }
  return s + "]";
}

Strides contiguous_strides(const Shape& s) {
  Strides st{};
  int64_t acc = 1;
  for (int i = s.rank - 1; i >= 0; --i) {
    st[static_cast<size_t>(i)] = acc;
    acc *= s[i];
  }
  return st;
}

bool TensorView::is_contiguous() const {
  Strides c = contiguous_strides(shape);
  for (int i = 0; i < rank(); ++i)
    if (shape[i] != 1 && strides[static_cast<size_t>(i)] != c[static_cast<size_t>(i)]) return false;
  return true;
}

Expected<TensorView> TensorView::reshape(Shape s) const {
  if (!is_contiguous()) return invalid_argument("reshape of a non-contiguous view " + describe());
  if (s.numel() != numel())
    return invalid_argument("reshape " + shape.to_string() + " -> " + s.to_string() +
                            " changes the element count");
  if (s.rank > 0 && !row_size_ok(dtype, s[s.rank - 1]))
    return invalid_argument("reshape splits a " + std::string(dtype_name(dtype)) + " block");
  TensorView v = *this;
  v.shape = s;
  v.strides = contiguous_strides(s);
  return v;
}

Expected<TensorView> TensorView::slice(int d, int64_t begin, int64_t end) const {
  if (d < 0 || d >= rank()) return invalid_argument("slice: dimension out of range");
  if (begin < 0 || end < begin || end > shape[d])
    return invalid_argument("slice [" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") out of range for " + shape.to_string());
  const int64_t off = begin * strides[static_cast<size_t>(d)];
  if (!row_size_ok(dtype, off)) return invalid_argument("slice splits a quantized block");
  TensorView v = *this;
  v.shape[d] = end - begin;
  v.data = static_cast<char*>(data) + byte_offset(off);
  return v;
}

std::string TensorView::describe() const {
  return std::string(dtype_name(dtype)) + shape.to_string() + "@" + device.to_string();
}

Expected<std::shared_ptr<Storage>> AlignedStorage::create(size_t bytes) {
  if (bytes > SIZE_MAX - kTensorAlignment) return out_of_memory("cannot allocate " + std::to_string(bytes) + " bytes");
  const size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, rounded == 0 ? kTensorAlignment : rounded);
  if (!p) return out_of_memory("cannot allocate " + std::to_string(bytes) + " bytes");
  std::memset(p, 0, rounded);
  auto* storage = new (std::nothrow) AlignedStorage(p, bytes);
  if (!storage) {
    std::free(p);
    return out_of_memory("cannot allocate the storage header");
  }
  return std::shared_ptr<Storage>(storage);
}

AlignedStorage::~AlignedStorage() { std::free(ptr_); }

#ifdef MISTRALRS_HAS_CUDA
namespace {
class CudaStorage final : public Storage {
 public:
  CudaStorage(void* p, size_t n, int dev) : ptr_(p), size_(n), dev_(dev) {}
  ~CudaStorage() override { kernels::cuda_free(ptr_); }
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

Expected<Tensor> Tensor::empty(Shape shape, DType dtype, Device device) {
  for (int i = 0; i < shape.rank; ++i)
    if (shape[i] < 0) return invalid_argument("negative dimension in " + shape.to_string());
  if (shape.rank > 0 && !row_size_ok(dtype, shape[shape.rank - 1]))
    return invalid_argument("last dimension of " + shape.to_string() + " is not a whole number of " +
                            std::string(dtype_name(dtype)) + " blocks");
  const size_t bytes = static_cast<size_t>(dtype_bytes(dtype, shape.numel()));
  std::shared_ptr<Storage> storage;
  if (device.is_cpu()) {
    auto s = AlignedStorage::create(bytes);
    if (!s) return s.status();
    storage = std::move(s.value());
  } else {
#ifdef MISTRALRS_HAS_CUDA
    void* p = nullptr;
    const int err = kernels::cuda_malloc(&p, bytes, device.index);
    if (err != 0) {
      kernels::cuda_clear_last_error();  // an allocation failure is not sticky; leave no trace
      const std::string where = std::to_string(bytes) + " bytes on " + device.to_string();
      if (kernels::cuda_is_out_of_memory(err)) return out_of_memory("out of device memory for " + where);
      return cuda_error("cudaMalloc of " + where + ": " + kernels::cuda_error_string(err));
    }
    try {
      storage = std::make_shared<CudaStorage>(p, bytes, device.index);
    } catch (...) {
      kernels::cuda_free(p);
      return out_of_memory("cannot allocate the storage header");
    }
#else
    return unsupported("this build of libmistralrs has no CUDA support");
#endif
  }
  Tensor t = from_storage(std::move(storage), 0, shape, dtype);
  t.view_.device = device;
  return t;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, size_t offset, Shape shape,
                            DType dtype) {
  Tensor t;
  t.view_ = TensorView(static_cast<char*>(storage->data()) + offset, dtype, shape, storage->device());
  t.storage_ = std::move(storage);
  return t;
}

}  // namespace mistralrs
