// Softmax along rows on the device (host-callable, no CUDA types exposed).
// Returns 0 on success or a cudaError_t value (cudaErrorInvalidValue for bad arguments).
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// y[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)). x: [rows, cols], row stride
// x_stride (elements), last dim contiguous; y likewise. y may alias x. Rows of any length
// (a block loops over a row longer than its threads). A row of all -inf, or one holding
// +inf or NaN, gives NaN, as the CPU op does. stream: a cudaStream_t, or null.
// rows or cols == 0 launches nothing.
int softmax_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                int64_t y_stride, void* stream);

}  // namespace mistralrs::kernels
