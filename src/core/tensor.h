// Shapes, non-owning TensorView and owning Tensor.
// Strides count logical elements. For block types (q8_0, ...) the innermost dimension
// must be contiguous and a whole number of blocks; the other strides are then multiples
// of the block size and a byte offset is stride / block_elems * block_bytes.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/dtype.h"
#include "core/status.h"

namespace mistralrs {

constexpr int kMaxRank = 4;

struct Shape {
  int rank = 0;
  std::array<int64_t, kMaxRank> dims{};

  Shape() = default;
  Shape(std::initializer_list<int64_t> d);
  int64_t operator[](int i) const { return dims[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims[static_cast<size_t>(i)]; }
  int64_t numel() const;
  bool operator==(const Shape& o) const;
  std::string to_string() const;
};

using Strides = std::array<int64_t, kMaxRank>;
Strides contiguous_strides(const Shape& s);

// Looks at memory it does not own. Cheap to copy.
struct TensorView {
  void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;
  Strides strides{};
  Device device;

  TensorView() = default;
  TensorView(void* d, DType t, Shape s, Device dev = Device::cpu())
      : data(d), dtype(t), shape(s), strides(contiguous_strides(s)), device(dev) {}

  int rank() const { return shape.rank; }
  int64_t dim(int i) const { return shape[i < 0 ? shape.rank + i : i]; }
  int64_t numel() const { return shape.numel(); }
  bool is_contiguous() const;
  // Byte offset of a logical element offset along strides (block-aware).
  int64_t byte_offset(int64_t elems) const { return dtype_bytes(dtype, elems); }
  template <class T>
  T* as() const { return static_cast<T*>(data); }
  // Pointer to row r of a 2-D view (or of the last two dims flattened for rank > 2 when
  // contiguous). Block types: the row must begin on a block boundary.
  void* row(int64_t r) const {
    return static_cast<char*>(data) + byte_offset(r * strides[static_cast<size_t>(rank() - 2)]);
  }
  // Same storage with a new shape; requires contiguity.
  Expected<TensorView> reshape(Shape s) const;
  // Sub-range [begin, end) of dimension d, keeping strides.
  Expected<TensorView> slice(int d, int64_t begin, int64_t end) const;
  std::string describe() const;
};

// Storage behind a Tensor: aligned heap memory, a read-only file mapping, or CUDA memory.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual void* data() = 0;
  virtual size_t size() const = 0;
  virtual Device device() const = 0;
};

// 64-byte aligned heap allocation (zero-filled), freed on destruction.
class AlignedStorage final : public Storage {
 public:
  static Expected<std::shared_ptr<Storage>> create(size_t bytes);
  ~AlignedStorage() override;
  void* data() override { return ptr_; }
  size_t size() const override { return size_; }
  Device device() const override { return Device::cpu(); }

 private:
  AlignedStorage(void* p, size_t n) : ptr_(p), size_(n) {}
  void* ptr_;
  size_t size_;
};

constexpr size_t kTensorAlignment = 64;

// Owns its storage (shared so that views of one mapping can outlive the loader).
class Tensor {
 public:
  Tensor() = default;
  // Allocates a contiguous, zero-filled tensor on `device`. Device memory that does not fit
  // is kOutOfMemory (other CUDA failures kCuda), with the CUDA error cleared.
  static Expected<Tensor> empty(Shape shape, DType dtype, Device device = Device::cpu());
  // Wraps existing storage; `offset` bytes into it. The caller checks the span fits.
  static Tensor from_storage(std::shared_ptr<Storage> storage, size_t offset, Shape shape,
                             DType dtype);

  const TensorView& view() const { return view_; }
  TensorView& view() { return view_; }
  template <class T>
  T* as() const { return view_.as<T>(); }
  const Shape& shape() const { return view_.shape; }
  DType dtype() const { return view_.dtype; }
  Device device() const { return view_.device; }
  int64_t numel() const { return view_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(dtype_bytes(view_.dtype, numel())); }
  bool defined() const { return storage_ != nullptr; }

 private:
  std::shared_ptr<Storage> storage_;
  TensorView view_;
};

}  // namespace mistralrs
