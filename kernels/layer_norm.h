// Layer normalisation on the device (host-callable, no CUDA types exposed).
// Returns 0 on success or a cudaError_t value (cudaErrorInvalidValue for bad arguments).
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// y[r, :] = (x[r, :] - mean) / sqrt(var + eps) * w + b, var the biased variance about the
// mean (two passes, as the CPU op). x: [rows, cols], row stride x_stride (elements), last
// dim contiguous; y likewise; w, b: [cols] contiguous, b may be null. y may alias x.
// Accumulates in f32. stream: a cudaStream_t, or null. rows or cols == 0 launches nothing.
int layer_norm_f32(const float* x, const float* w, const float* b, float* y, int64_t rows,
                   int64_t cols, int64_t x_stride, int64_t y_stride, float eps, void* stream);

}  // namespace mistralrs::kernels
