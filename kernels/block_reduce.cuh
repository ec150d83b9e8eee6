// Warp and block reductions for the row-per-block kernels (layer_norm, softmax). Device
// code only: include from .cu files.
#pragma once
#include <cuda_runtime.h>

namespace mistralrs::kernels {

constexpr int kWarpSize = 32;

__device__ inline float warp_sum(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ inline float warp_max(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Sum (kMax = false) or max (true) over the block, returned to every thread. blockDim.x is
// a multiple of 32; `partial` holds one float per warp. Starts with a barrier, so one buffer
// can serve several reductions in a row (no thread still reads it from the previous one).
template <bool kMax>
__device__ inline float block_reduce(float v, float* partial) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int n_warps = blockDim.x / kWarpSize;
  v = kMax ? warp_max(v) : warp_sum(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const float identity = kMax ? -INFINITY : 0.0f;
  const float w = lane < n_warps ? partial[lane] : identity;
  return kMax ? warp_max(w) : warp_sum(w);
}

__device__ inline float block_sum(float v, float* partial) { return block_reduce<false>(v, partial); }
__device__ inline float block_max(float v, float* partial) { return block_reduce<true>(v, partial); }

}  // namespace mistralrs::kernels
