#include "argmax.h"

#include <cuda_runtime.h>

#include <climits>

namespace mistralrs::kernels {

namespace {

constexpr int kThreads = 512;  // 32000 logits: ~63 per thread, one block per row

// (value, index) a is preferred to b: larger value, then smaller index. Index -1 marks
// "nothing yet" and loses to anything real.
__device__ __forceinline__ bool better(float av, int ai, float bv, int bi) {
  if (ai < 0) return false;
  if (bi < 0) return true;
  return av > bv || (av == bv && ai < bi);
}

__global__ void argmax_rows(const float* __restrict__ x, int n, int64_t row_stride, int32_t* __restrict__ out) {
  const float* row = x + static_cast<int64_t>(blockIdx.x) * row_stride;
  float best_v = -INFINITY;
  int best_i = -1;
  // Each thread walks its indices in increasing order, so a strict > keeps the first.
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const float v = row[i];
    if (v > best_v) {  // false for NaN and for -inf (a row of -inf keeps -1)
      best_v = v;
      best_i = i;
    }
  }
  for (int off = 16; off > 0; off >>= 1) {
    const float ov = __shfl_down_sync(0xffffffffu, best_v, off);
    const int oi = __shfl_down_sync(0xffffffffu, best_i, off);
    if (better(ov, oi, best_v, best_i)) best_v = ov, best_i = oi;
  }
  __shared__ float sv[kThreads / 32];
  __shared__ int si[kThreads / 32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) sv[warp] = best_v, si[warp] = best_i;
  __syncthreads();
  if (warp == 0) {
    const int n_warps = blockDim.x / 32;
    best_v = lane < n_warps ? sv[lane] : -INFINITY;
    best_i = lane < n_warps ? si[lane] : -1;
    for (int off = 16; off > 0; off >>= 1) {
      const float ov = __shfl_down_sync(0xffffffffu, best_v, off);
      const int oi = __shfl_down_sync(0xffffffffu, best_i, off);
      if (better(ov, oi, best_v, best_i)) best_v = ov, best_i = oi;
    }
    if (lane == 0) out[blockIdx.x] = best_i;
  }
}

}  // namespace

int argmax_f32(const float* x, int64_t n_rows, int64_t n, int64_t row_stride, int32_t* out, void* stream) {
  if (!x || !out || n_rows < 1 || n < 1 || n > INT_MAX || row_stride < n || n_rows > INT_MAX)
    return static_cast<int>(cudaErrorInvalidValue);
  argmax_rows<<<static_cast<unsigned>(n_rows), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, static_cast<int>(n), row_stride, out);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace mistralrs::kernels
