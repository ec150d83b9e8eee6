// Rotary position embedding: one block per token (grid-stride over tokens). The block first
// computes the token's cos/sin for every pair into shared memory (half double-precision
// sincos per token, as the CPU rope does), then its threads walk the [n_heads, half] pairs
// of the token, consecutive threads on consecutive pairs of one head (coalesced rows).
// Each element is read and written by one thread, so y may be x.
#include "rope.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

#include "rope_math.cuh"

namespace mistralrs::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxGridX = 65535;  // a grid-stride loop covers more tokens
// cos/sin of one token: 2 * half floats; stay under the 48 KB that needs no opt-in.
constexpr int64_t kMaxHalf = 48 * 1024 / (2 * sizeof(float));

// Everything the kernel reads, passed by value (__grid_constant__: indexed in place in the
// parameter space, no per-thread copy). freqs holds the frequencies when half <= 128.
struct RopeKernelArgs {
  const float* x;
  float* y;
  int64_t n_tokens, n_heads, head_dim, half;
  int64_t xs0, xs1, ys0, ys1;
  int64_t position_offset;
  const int32_t* device_position;
  double theta;
  bool neox, freqs_by_value, copy_tail;
  double freqs[kRopeMaxFreqs];
};

__global__ void __launch_bounds__(kThreads) rope_kernel(const __grid_constant__ RopeKernelArgs a) {
  extern __shared__ float cs[];  // [half] cos, then [half] sin
  const int64_t first =
      a.device_position != nullptr ? static_cast<int64_t>(*a.device_position) : a.position_offset;
  const int half = static_cast<int>(a.half);
  const double* freqs = a.freqs_by_value ? a.freqs : nullptr;
  for (int64_t t = blockIdx.x; t < a.n_tokens; t += gridDim.x) {
    __syncthreads();  // the previous token's readers of cs are done
    rope_token_cos_sin(first + t, freqs, a.theta, half, cs, threadIdx.x, blockDim.x);
    __syncthreads();
    // n_heads * head_dim < 2^31: checked by the launcher.
    rope_token_rotate(a.x + t * a.xs0, a.y + t * a.ys0, a.xs1, a.ys1, static_cast<int>(a.n_heads),
                      static_cast<int>(a.head_dim), half, a.neox, a.copy_tail, cs, threadIdx.x,
                      blockDim.x);
  }
}

bool valid(const RopeArgs& r) {
  if (!r.x || !r.y || r.rotary_dim < 2 || r.rotary_dim % 2 != 0 || r.rotary_dim > r.head_dim)
    return false;
  if (r.x_token_stride < 0 || r.x_head_stride < 0 || r.y_token_stride < 0 || r.y_head_stride < 0)
    return false;
  if (r.position_offset < 0 || r.rotary_dim / 2 > kMaxHalf) return false;
  if (r.n_heads > INT_MAX / r.head_dim) return false;  // pair and tail counts fit an int
  if (r.inv_freq) return r.rotary_dim / 2 <= kRopeMaxFreqs;
  return std::isfinite(r.theta) && r.theta > 0.0f;
}

}  // namespace

int rope_f32(const RopeArgs& r, void* stream) {
  if (r.n_tokens < 0 || r.n_heads < 0 || r.head_dim < 0) return cudaErrorInvalidValue;
  if (r.n_tokens == 0 || r.n_heads == 0 || r.head_dim == 0) return 0;
  if (!valid(r)) return cudaErrorInvalidValue;
  RopeKernelArgs a{};
  a.x = r.x;
  a.y = r.y;
  a.n_tokens = r.n_tokens;
  a.n_heads = r.n_heads;
  a.head_dim = r.head_dim;
  a.half = r.rotary_dim / 2;
  a.xs0 = r.x_token_stride;
  a.xs1 = r.x_head_stride;
  a.ys0 = r.y_token_stride;
  a.ys1 = r.y_head_stride;
  a.position_offset = r.position_offset;
  a.device_position = r.device_position;
  a.theta = static_cast<double>(r.theta);
  a.neox = r.neox;
  a.copy_tail = r.x != r.y && r.rotary_dim < r.head_dim;
  // Frequencies on the host in double, exactly as the CPU rope forms them.
  a.freqs_by_value = a.half <= kRopeMaxFreqs;
  if (a.freqs_by_value)
    for (int64_t i = 0; i < a.half; ++i)
      a.freqs[i] = r.inv_freq ? static_cast<double>(r.inv_freq[i])
                              : rope_inv_freq(a.theta, i, r.rotary_dim);
  const int64_t work = std::max(r.n_heads * a.half, r.n_heads * (r.head_dim - 2 * a.half));
  const int threads = static_cast<int>(std::min<int64_t>(kThreads, (work + 31) / 32 * 32));
  const dim3 grid(static_cast<unsigned>(std::min(r.n_tokens, kMaxGridX)));
  const size_t smem = 2 * static_cast<size_t>(a.half) * sizeof(float);
  rope_kernel<<<grid, threads, smem, static_cast<cudaStream_t>(stream)>>>(a);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace mistralrs::kernels
