// Conversion among f32, f16 and bf16 on the device (host-callable, no CUDA types exposed).
// Returns 0 on success or a cudaError_t value (cudaErrorInvalidValue for bad arguments).
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

enum class CastType : int { kF32 = 0, kF16 = 1, kBF16 = 2 };

// y = x converted to y_type, element for element, bit-identical to core/dtype.h's
// fp32_to_fp16 / fp32_to_bf16 / fp16_to_fp32 / bf16_to_fp32 (f16 <-> bf16 through f32, which
// is exact on the way up): round to nearest even, overflow to inf, subnormals kept; a NaN
// stays NaN with its sign (f16: 0x7e00 | sign; bf16: the top 16 bits with the quiet bit
// set; to f32: the payload shifted up). Same type: a bit copy.
// x: [rows, cols], row r at x + r * x_stride (elements of x_type), last dim contiguous;
// y likewise in y_type. x and y must not overlap. stream: a cudaStream_t, or null.
// rows or cols == 0 launches nothing.
int cast_rows(const void* x, CastType x_type, void* y, CastType y_type, int64_t rows,
              int64_t cols, int64_t x_stride, int64_t y_stride, void* stream);

}  // namespace mistralrs::kernels
