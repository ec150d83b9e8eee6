// kv_write: one thread per element of K or V (blockIdx.y picks which), a grid-stride loop
// over n * n_kv_heads * head_dim. Writes are a few rows per step, so plain scalar accesses
// are enough; the cost is the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kv_write.h"

namespace mistralrs::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 4096;

// Bit-exact copies for same-type writes; f32 sources rounded to nearest even.
template <class Src, class Dst>
__device__ inline Dst convert(Src x);
template <> __device__ inline float convert(float x) { return x; }
template <> __device__ inline __half convert(float x) { return __float2half_rn(x); }
template <> __device__ inline __nv_bfloat16 convert(float x) { return __float2bfloat16_rn(x); }
template <> __device__ inline __half convert(__half x) { return x; }
template <> __device__ inline __nv_bfloat16 convert(__nv_bfloat16 x) { return x; }

template <class Src, class Dst>
__global__ void __launch_bounds__(kThreads) kv_write_kernel(const KvWriteArgs a) {
  const bool is_v = blockIdx.y == 1;
  const KvRows& src = is_v ? a.v_src : a.k_src;
  const KvPool& pool = is_v ? a.v_pool : a.k_pool;
  int64_t p0 = a.pos;
  if (a.device_pos != nullptr) {
    p0 = *a.device_pos;
    if (p0 < 0 || p0 + a.n > a.capacity) return;
  }
  const int64_t total = a.n * a.n_kv_heads * a.head_dim;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += step) {
    const int64_t d = idx % a.head_dim, th = idx / a.head_dim;
    const int64_t h = th % a.n_kv_heads, t = th / a.n_kv_heads;
    const int64_t p = p0 + t;
    const int64_t logical_block = p / a.block_size;
    const int64_t block = a.block_table ? a.block_table[logical_block] : logical_block;
    const Src x = static_cast<const Src*>(src.data)[t * src.row_stride + h * src.head_stride + d];
    Dst* dst = static_cast<Dst*>(pool.data) + block * pool.block_stride +
               (p % a.block_size) * pool.row_stride + h * pool.head_stride + d;
    *dst = convert<Src, Dst>(x);
  }
}

template <class Src, class Dst>
int launch(const KvWriteArgs& a, cudaStream_t s) {
  const int64_t total = a.n * a.n_kv_heads * a.head_dim;
  const int64_t blocks = std::min<int64_t>(kMaxBlocks, (total + kThreads - 1) / kThreads);
  kv_write_kernel<Src, Dst><<<dim3(static_cast<unsigned>(blocks), 2), kThreads, 0, s>>>(a);
  return static_cast<int>(cudaGetLastError());
}

bool strides_ok(const KvRows& r) { return r.row_stride >= 0 && r.head_stride >= 0 && r.data; }
bool strides_ok(const KvPool& p) {
  return p.block_stride >= 0 && p.row_stride >= 0 && p.head_stride >= 0 && p.data;
}

}  // namespace

int kv_write(const KvWriteArgs& a, void* stream) {
  if (a.n < 0 || a.n_kv_heads < 0 || a.head_dim < 0 || a.block_size <= 0 || a.capacity < 0)
    return static_cast<int>(cudaErrorInvalidValue);
  if (a.n == 0 || a.n_kv_heads == 0 || a.head_dim == 0) return 0;
  if (!strides_ok(a.k_src) || !strides_ok(a.v_src) || !strides_ok(a.k_pool) || !strides_ok(a.v_pool))
    return static_cast<int>(cudaErrorInvalidValue);
  if (a.device_pos == nullptr && (a.pos < 0 || a.pos + a.n > a.capacity))
    return static_cast<int>(cudaErrorInvalidValue);
  if (a.device_pos != nullptr && a.n > a.capacity) return static_cast<int>(cudaErrorInvalidValue);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (a.src_type == KvElem::kF32) {
    switch (a.pool_type) {
      case KvElem::kF32: return launch<float, float>(a, s);
      case KvElem::kF16: return launch<float, __half>(a, s);
      case KvElem::kBF16: return launch<float, __nv_bfloat16>(a, s);
    }
  } else if (a.src_type == a.pool_type) {
    if (a.pool_type == KvElem::kF16) return launch<__half, __half>(a, s);
    if (a.pool_type == KvElem::kBF16) return launch<__nv_bfloat16, __nv_bfloat16>(a, s);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

}  // namespace mistralrs::kernels
