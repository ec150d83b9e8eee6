// Views of the Llama workspace used by the CPU and the CUDA forward passes.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace mistralrs::llama_views {

// Row range [0, n) of a [rows, width] tensor, as [n, width].
inline TensorView rows(const Tensor& t, int64_t n) {
  TensorView v = t.view();
  v.shape[0] = n;
  return v;
}

// [n, heads * hd] viewed as [n, heads, hd] (contiguous or row-strided).
inline TensorView as_heads(TensorView v, int64_t heads, int64_t hd) {
  const int64_t row_stride = v.strides[0];
  v.shape = Shape{v.shape[0], heads, hd};
  v.strides = {row_stride, hd, 1, 0};
  return v;
}

}  // namespace mistralrs::llama_views
