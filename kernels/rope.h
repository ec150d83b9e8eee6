// Rotary position embedding on the device (host-callable, no CUDA types exposed).
// Returns 0 on success or a cudaError_t value: cudaErrorInvalidValue (1) for arguments the
// kernel cannot take, else the error of the launch.
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// x, y: f32 [n_tokens, n_heads, head_dim]; element (t, h, c) of x at
// x + t * x_token_stride + h * x_head_stride + c (strides in elements, >= 0), y likewise.
// y may be x (in place, same strides); any other overlap is the caller's error.
struct RopeArgs {
  const float* x = nullptr;
  float* y = nullptr;
  int64_t n_tokens = 0, n_heads = 0, head_dim = 0;
  int64_t x_token_stride = 0, x_head_stride = 0;
  int64_t y_token_stride = 0, y_head_stride = 0;
  int64_t rotary_dim = 0;  // even, 2..head_dim; dims past it are copied (or left, in place)
  bool neox = true;        // pairs (i, i + rotary_dim/2); false: (2i, 2i + 1)
  float theta = 10000.0f;  // inv_freq[i] = theta^(-2i/rotary_dim) unless inv_freq is given
  // Optional host array [rotary_dim/2], copied into the kernel arguments at launch (so the
  // caller may free it afterwards); needs rotary_dim/2 <= kRopeMaxFreqs (128).
  const float* inv_freq = nullptr;
  int64_t position_offset = 0;  // token t is at position_offset + t (>= 0)
  // Optional device i32 read by the kernel at run time in place of position_offset (for CUDA
  // graphs replayed every decode step).
  const int32_t* device_position = nullptr;
};

// Launches on `stream` (a cudaStream_t; null = the default stream). No work (a zero dim)
// launches nothing.
int rope_f32(const RopeArgs& args, void* stream);

}  // namespace mistralrs::kernels
