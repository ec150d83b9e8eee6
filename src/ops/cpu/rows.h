// Row access for the CPU ops: a view's leading dims flattened in row-major order, each row
// contiguous (the ops check that before dispatch). Leading dims may have any non-negative
// strides, so slices and transposed leading dims work without copies.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace mistralrs::cpu {

class Rows {
 public:
  explicit Rows(const TensorView& t) : base_(static_cast<float*>(t.data)), lead_(t.rank() - 1) {
    cols_ = t.rank() > 0 ? t.dim(-1) : 0;
    rows_ = 1;
    for (int d = 0; d < lead_; ++d) {
      dims_[d] = t.dim(d);
      strides_[d] = t.strides[static_cast<size_t>(d)];
      rows_ *= dims_[d];
    }
  }

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

  // f32 row r, r in [0, rows()). Costs one div/mod per leading dim.
  float* row(int64_t r) const {
    int64_t off = 0;
    for (int d = lead_ - 1; d >= 0; --d) {
      off += (r % dims_[d]) * strides_[d];
      r /= dims_[d];
    }
    return base_ + off;
  }

 private:
  float* base_;
  int lead_;
  int64_t rows_ = 0, cols_ = 0;
  int64_t dims_[kMaxRank] = {};
  int64_t strides_[kMaxRank] = {};
};

// Rows per parallel_for chunk so that a chunk touches at least ~64 KiB of f32: below that
// the wake-up of a worker costs more than the work.
inline int64_t min_rows_per_chunk(int64_t cols) {
  constexpr int64_t kMinChunkElems = 16384;
  return cols >= kMinChunkElems ? 1 : kMinChunkElems / (cols > 0 ? cols : 1);
}

}  // namespace mistralrs::cpu
