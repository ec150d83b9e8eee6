// Softmax: one block per row (grid-stride over rows), three sweeps: the max, the sum of
// exp(x - max), then y = exp(x - max) * (1 / sum) (the CPU op's form). Recomputing exp in
// the last sweep costs less than writing and re-reading y; sweeps two and three mostly hit
// L1/L2. Each thread touches the same elements in every sweep, so y may alias x.
// expf, not __expf: the fast one loses relative accuracy for large |x - max|.
#include "softmax.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "block_reduce.cuh"

namespace mistralrs::kernels {
namespace {

constexpr int kMaxThreads = 1024;
constexpr int64_t kMaxBlocks = 65535;

template <int kVec>
__global__ void __launch_bounds__(kMaxThreads)
    softmax_kernel(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                   int64_t y_stride) {
  __shared__ float partial[kMaxThreads / kWarpSize];
  using Vec = typename std::conditional<kVec == 4, float4, float>::type;
  const int64_t n_vec = cols / kVec;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const Vec* xr = reinterpret_cast<const Vec*>(x + r * x_stride);
    Vec* yr = reinterpret_cast<Vec*>(y + r * y_stride);
    float m = -INFINITY;
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      const Vec v = xr[i];
      if constexpr (kVec == 4) {
        m = fmaxf(m, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
      } else {
        m = fmaxf(m, v);
      }
    }
    m = block_max(m, partial);
    float s = 0.0f;
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      const Vec v = xr[i];
      if constexpr (kVec == 4) {
        s += expf(v.x - m) + expf(v.y - m) + expf(v.z - m) + expf(v.w - m);
      } else {
        s += expf(v - m);
      }
    }
    const float inv = 1.0f / block_sum(s, partial);
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      Vec v = xr[i];
      if constexpr (kVec == 4) {
        v = make_float4(expf(v.x - m) * inv, expf(v.y - m) * inv, expf(v.z - m) * inv,
                        expf(v.w - m) * inv);
      } else {
        v = expf(v - m) * inv;
      }
      yr[i] = v;
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

int softmax_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                int64_t y_stride, void* stream) {
  if (rows < 0 || cols < 0) return cudaErrorInvalidValue;
  if (rows == 0 || cols == 0) return 0;
  if (!x || !y || x_stride < 0 || y_stride < 0) return cudaErrorInvalidValue;
  const bool strides_ok = rows == 1 || (x_stride % 4 == 0 && y_stride % 4 == 0);
  const bool vec4 = cols % 4 == 0 && strides_ok && aligned16(x) && aligned16(y);
  const int64_t n_vec = vec4 ? cols / 4 : cols;
  // Enough warps for about 4 vectors per thread, at most kMaxThreads (long rows loop).
  const int64_t want = (n_vec + 4 * kWarpSize - 1) / (4 * kWarpSize) * kWarpSize;
  const unsigned threads = static_cast<unsigned>(std::clamp<int64_t>(want, kWarpSize, kMaxThreads));
  const dim3 grid(static_cast<unsigned>(std::min(rows, kMaxBlocks)));
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (vec4) {
    softmax_kernel<4><<<grid, threads, 0, s>>>(x, y, rows, cols, x_stride, y_stride);
  } else {
    softmax_kernel<1><<<grid, threads, 0, s>>>(x, y, rows, cols, x_stride, y_stride);
  }
  return static_cast<int>(cudaGetLastError());
}

}  // namespace mistralrs::kernels
