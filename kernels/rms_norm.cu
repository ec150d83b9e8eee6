#include "rms_norm.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace mistralrs::kernels {
namespace {

constexpr int kWarp = 32;
constexpr int kMaxThreads = 512;
// A grid-stride loop over rows keeps gridDim.x well under its limit for any row count.
constexpr int64_t kMaxBlocks = 65535;

__device__ float warp_sum(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over the block, returned to every thread. `partial` holds one float per warp.
// Starts with a barrier so the buffer may be reused across the row loop.
__device__ float block_sum(float v, float* partial) {
  const int lane = threadIdx.x % kWarp;
  const int warp = threadIdx.x / kWarp;
  const int n_warps = (blockDim.x + kWarp - 1) / kWarp;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  float total = lane < n_warps ? partial[lane] : 0.0f;
  return warp_sum(total);
}

// One block per row (grid-stride over rows). Each thread reads the same elements in both
// passes, so y may alias x. kVec = 4: rows are 16-byte aligned and cols % 4 == 0, so each
// thread moves float4s; kVec = 1: scalar loads. blockDim.x is a multiple of 32.
template <int kVec>
__global__ void __launch_bounds__(kMaxThreads)
    rms_norm_kernel(const float* x, const float* w, float* y, int64_t rows, int64_t cols,
                    int64_t x_stride, int64_t y_stride, float eps) {
  __shared__ float partial[kMaxThreads / kWarp];
  using Vec = typename std::conditional<kVec == 4, float4, float>::type;
  const int64_t n_vec = cols / kVec;
  const Vec* wv = reinterpret_cast<const Vec*>(w);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const Vec* xr = reinterpret_cast<const Vec*>(x + r * x_stride);
    Vec* yr = reinterpret_cast<Vec*>(y + r * y_stride);
    float sum_sq = 0.0f;
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      const Vec v = xr[i];
      if constexpr (kVec == 4) {
        sum_sq += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
      } else {
        sum_sq += v * v;
      }
    }
    sum_sq = block_sum(sum_sq, partial);
    // 1/sqrtf is correctly rounded (rsqrtf is not); once per row, so the cost is nil.
    const float inv_rms = 1.0f / sqrtf(sum_sq / static_cast<float>(cols) + eps);
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      Vec v = xr[i];
      const Vec g = wv[i];
      if constexpr (kVec == 4) {
        v.x = v.x * inv_rms * g.x;
        v.y = v.y * inv_rms * g.y;
        v.z = v.z * inv_rms * g.z;
        v.w = v.w * inv_rms * g.w;
      } else {
        v = v * inv_rms * g;
      }
      yr[i] = v;
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

int rms_norm_f32(const float* x, const float* w, float* y, int64_t rows, int64_t cols,
                 int64_t x_stride, int64_t y_stride, float eps, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  // A single row's stride is never used to step, so it cannot break alignment.
  const bool strides_ok = rows == 1 || (x_stride % 4 == 0 && y_stride % 4 == 0);
  const bool vec4 = cols % 4 == 0 && strides_ok && aligned16(x) && aligned16(y) && aligned16(w);
  const int64_t n_vec = vec4 ? cols / 4 : cols;
  // Enough warps to give each thread a few elements, at most kMaxThreads.
  const int64_t want = std::min<int64_t>(kMaxThreads, (n_vec + kWarp - 1) / kWarp * kWarp);
  const dim3 block(static_cast<unsigned>(want));
  const dim3 grid(static_cast<unsigned>(std::min(rows, kMaxBlocks)));
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (vec4) {
    rms_norm_kernel<4><<<grid, block, 0, s>>>(x, w, y, rows, cols, x_stride, y_stride, eps);
  } else {
    rms_norm_kernel<1><<<grid, block, 0, s>>>(x, w, y, rows, cols, x_stride, y_stride, eps);
  }
  return static_cast<int>(cudaGetLastError());
}

}  // namespace mistralrs::kernels
