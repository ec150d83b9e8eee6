// Plain-loop matmul reference for tests: each weight row is dequantized with
// dequantize_row (exact for every weight dtype) and dotted with the f32 x row in double.
// Independent of the kernels, the blocking and the activation quantization.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace mistralrs::ref {

// y[r * ldy + c] = sum_i x[r * ldx + i] * w_c[i] for r < m, c < n, w_c the dequantized
// row c of w (rows w_row_bytes apart). abs_y (optional, same layout) receives
// sum_i |x[r, i] * w_c[i]|, the scale for a rounding-error tolerance.
// Returns false if w_type is not a weight type or k is not a whole number of blocks.
bool matmul(const float* x, int64_t ldx, const void* w, DType w_type, int64_t w_row_bytes,
            double* y, int64_t ldy, int64_t m, int64_t n, int64_t k, double* abs_y = nullptr);

}  // namespace mistralrs::ref
