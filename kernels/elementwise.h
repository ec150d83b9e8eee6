// Elementwise f32 ops on the device (host-callable, no CUDA types exposed).
// Every launcher returns 0 on success or the cudaError_t value of the launch.
//
// Tensors are [rows, cols] views: the last dim is contiguous and row r starts at
// ptr + r * stride (elements), so the same strided-row views the CPU ops accept work here.
// y may alias an input exactly (in place). stream: a cudaStream_t, or null for the default
// stream. rows or cols == 0 launches nothing.
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// y = a + b and y = a * b. b_stride = 0 broadcasts b: [cols] over every row of a.
int add_f32(const float* a, const float* b, float* y, int64_t rows, int64_t cols,
            int64_t a_stride, int64_t b_stride, int64_t y_stride, void* stream);
int mul_f32(const float* a, const float* b, float* y, int64_t rows, int64_t cols,
            int64_t a_stride, int64_t b_stride, int64_t y_stride, void* stream);

// y = silu(gate) * up = gate / (1 + exp(-gate)) * up (SwiGLU); up has gate's shape.
int silu_mul_f32(const float* gate, const float* up, float* y, int64_t rows, int64_t cols,
                 int64_t gate_stride, int64_t up_stride, int64_t y_stride, void* stream);

// y = x * sigmoid(x).
int silu_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
             int64_t y_stride, void* stream);
// y = x/2 * (1 + erf(x / sqrt(2))).
int gelu_erf_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                 int64_t y_stride, void* stream);
// y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
int gelu_tanh_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                  int64_t y_stride, void* stream);

}  // namespace mistralrs::kernels
