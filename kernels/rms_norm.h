// RMS normalisation on the device (host-callable, no CUDA types exposed).
// Returns 0 on success or the cudaError_t value of the launch.
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * w.
// x: [rows, cols] with row stride x_stride (elements), last dim contiguous; y likewise with
// y_stride; w: [cols] contiguous. y may alias x (in place). Accumulates in f32.
// stream: a cudaStream_t, or null for the default stream. rows or cols == 0 launches nothing.
int rms_norm_f32(const float* x, const float* w, float* y, int64_t rows, int64_t cols,
                 int64_t x_stride, int64_t y_stride, float eps, void* stream);

}  // namespace mistralrs::kernels
