// Decode matmul: y[m, n] = x[m, k] * w[n, k]^T for a few rows of x (m <= 8 per launch),
// every weight format, one fused kernel that reads each weight byte once.
//
// Memory-bound, so the design is about the weight stream:
// - A thread block (128 threads) owns kRows = 4 rows of w (4 outputs per row of x) and walks
//   k in chunks of 1024 values. Each chunk of the 4 rows is copied global -> shared with
//   16-byte cp.async (coalesced: consecutive threads take consecutive 16-byte pieces of a
//   row, whatever the block layout), kStages chunks in flight, so many loads are
//   outstanding per SM without holding them in registers. Pieces that would cross the
//   tensor's first or last byte are copied 2 bytes at a time instead (never read outside w).
//   Shared memory keeps each byte's global address mod 16, so 2-byte alignment of the
//   blocks carries over and quant_blocks.cuh can read them with 16-bit loads.
// - Thread t then takes "unit" t of the chunk (8 consecutive values) in all 4 rows: it
//   loads 8 values of each x row once (coalesced float4 loads, L1-resident after the first
//   block), decodes each row's unit in registers (quant_blocks.cuh) and accumulates
//   scale * sum(q * x) in f32. x is read once per 4 weight rows, which keeps L1 traffic
//   under the weight stream's rate at m = 1. (x is not staged in shared memory: [8, 1024]
//   floats per chunk would cost 32 KB per block for no fewer loads.)
// - At the end the 128 partial sums of each (row, output) are reduced with warp shuffles
//   and one shared-memory step.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "matmul.h"
#include "quant_blocks.cuh"
#include "weight_values.cuh"

namespace mistralrs::kernels {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kRows = 4;                    // rows of w per thread block
constexpr int kUnit = 8;                    // values per thread per chunk
constexpr int kChunk = kThreads * kUnit;    // values of each row per pipeline stage
constexpr int kMaxM = 8;                    // rows of x per launch

template <WeightFormat F>
struct Fmt {
  static constexpr int kElems = F == WeightFormat::kQ8_0 || F == WeightFormat::kQ4_0 ? 32
                                : F == WeightFormat::kQ4_K || F == WeightFormat::kQ6_K ? 256
                                                                                       : 1;
  static constexpr int kBytes = F == WeightFormat::kF32    ? 4
                                : F == WeightFormat::kQ8_0 ? 34
                                : F == WeightFormat::kQ4_0 ? 18
                                : F == WeightFormat::kQ4_K ? 144
                                : F == WeightFormat::kQ6_K ? 210
                                                           : 2;
  static constexpr bool kBlock = kElems > 1;
  static constexpr int kChunkBytes = kChunk / kElems * kBytes;
  // A chunk's span rounded out to 16-byte boundaries: at most 15 bytes before, 15 after.
  static constexpr int kRowBuf = static_cast<int>(quant::stage_buffer_bytes(kChunkBytes));
  // Stages so that the pipeline holds ~16-32 KB per block and stays under the 48 KB of
  // static shared memory (f32: 2 x 16 KB; f16/bf16: 4 x 8 KB; blocks: 4 x 2.3-4.4 KB).
  static constexpr int kStages = F == WeightFormat::kF32 ? 2 : 4;
  static constexpr int kSmemBytes = kStages * kRows * kRowBuf;
  static_assert(kSmemBytes + kWarps * kRows * kMaxM * 4 <= 48 * 1024, "static shared memory");
};

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

struct DecodeArgs {
  const float* x;
  int64_t ldx;
  const uint8_t* w;
  int64_t w_row_bytes;
  const uint8_t* w_lo;  // first byte of the tensor (w)
  const uint8_t* w_hi;  // one past its last byte
  float* y;
  int64_t ldy;
  int m;                // rows of x in this launch, <= kM
  int64_t n, k;
  bool x_vec4;          // x and ldx allow float4 loads
};

// Copies bytes [cb0, cb1) of rows n0..n0+kRows-1 into one stage: row r's bytes land at
// stage + r * kRowBuf + (address mod 16).
template <class T>
__device__ void copy_chunk(uint8_t* stage, const DecodeArgs& a, int64_t n0, int64_t cb0, int64_t cb1) {
  for (int r = 0; r < kRows; ++r) {
    if (n0 + r >= a.n) break;
    const uint8_t* s0 = a.w + (n0 + r) * a.w_row_bytes + cb0;
    const uint8_t* s1 = s0 + (cb1 - cb0);
    const uint8_t* a0 = reinterpret_cast<const uint8_t*>(reinterpret_cast<uintptr_t>(s0) & ~uintptr_t{15});
    const int n_vec = quant::stage_pieces(reinterpret_cast<uintptr_t>(s0), reinterpret_cast<uintptr_t>(s1));
    const uintptr_t lo = reinterpret_cast<uintptr_t>(a.w_lo), hi = reinterpret_cast<uintptr_t>(a.w_hi);
    uint8_t* dst = stage + r * T::kRowBuf;
    for (int v = threadIdx.x; v < n_vec; v += kThreads) {
      const uint8_t* src = a0 + 16 * v;
      if (quant::piece_inside(reinterpret_cast<uintptr_t>(src), lo, hi)) {
        cp_async16(dst + 16 * v, src);
      } else {
        for (int b = 0; b < 16; b += 2) {
          if (quant::word_inside(reinterpret_cast<uintptr_t>(src + b), lo, hi))
            *reinterpret_cast<uint16_t*>(dst + 16 * v + b) = *reinterpret_cast<const uint16_t*>(src + b);
        }
      }
    }
  }
}

// acc[mm] += sum_i w_i * xv[mm][i] for the unit of 8 values at chunk offset kk of one row.
// `valid` < 8 only for the last unit of a plain format whose k is not a multiple of 8.
template <WeightFormat F, int kM>
__device__ __forceinline__ void dot_unit(const uint8_t* row, int kk, int valid, const float (&xv)[kM][kUnit],
                                         const float (&sx)[kM], float (&acc)[kM]) {
  using T = Fmt<F>;
  if constexpr (T::kBlock) {
    quant::Unit8 u;
    decode_unit<F>(row + (kk / T::kElems) * T::kBytes, (kk % T::kElems) / kUnit, &u);
#pragma unroll
    for (int mm = 0; mm < kM; ++mm) {
      float d = 0.0f;
#pragma unroll
      for (int i = 0; i < kUnit; ++i) d = fmaf(u.q[i], xv[mm][i], d);
      acc[mm] = fmaf(u.scale, d, acc[mm]);
      if constexpr (F == WeightFormat::kQ4_K) acc[mm] = fmaf(-u.min, sx[mm], acc[mm]);
    }
  } else {
    float wv[kUnit];
#pragma unroll
    for (int i = 0; i < kUnit; ++i) wv[i] = i < valid ? plain_value<F>(row, kk + i) : 0.0f;
#pragma unroll
    for (int mm = 0; mm < kM; ++mm)
#pragma unroll
      for (int i = 0; i < kUnit; ++i) acc[mm] = fmaf(wv[i], xv[mm][i], acc[mm]);
  }
}

// x values k0..k0+7 of the launch's rows (zeros past k or past m).
template <int kM>
__device__ __forceinline__ void load_x(const DecodeArgs& a, int64_t k0, int valid, float (&xv)[kM][kUnit]) {
#pragma unroll
  for (int mm = 0; mm < kM; ++mm) {
    const float* xr = a.x + mm * a.ldx + k0;
    if (mm < a.m && valid == kUnit && a.x_vec4) {
      const float4 lo = __ldg(reinterpret_cast<const float4*>(xr));
      const float4 hi = __ldg(reinterpret_cast<const float4*>(xr) + 1);
      xv[mm][0] = lo.x, xv[mm][1] = lo.y, xv[mm][2] = lo.z, xv[mm][3] = lo.w;
      xv[mm][4] = hi.x, xv[mm][5] = hi.y, xv[mm][6] = hi.z, xv[mm][7] = hi.w;
    } else {
#pragma unroll
      for (int i = 0; i < kUnit; ++i) xv[mm][i] = mm < a.m && i < valid ? __ldg(xr + i) : 0.0f;
    }
  }
}

// grid.x = ceil(n / kRows), block = kThreads. Block b computes y[0..m, 4b..4b+3].
template <WeightFormat F, int kM>
__global__ void __launch_bounds__(kThreads) decode_kernel(DecodeArgs a) {
  using T = Fmt<F>;
  __shared__ __align__(16) uint8_t stages[T::kStages][kRows * T::kRowBuf];
  __shared__ float partial[kWarps][kRows][kM];
  const int64_t n0 = int64_t{blockIdx.x} * kRows;
  const int64_t n_chunks = (a.k + kChunk - 1) / kChunk;
  float acc[kRows][kM];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int mm = 0; mm < kM; ++mm) acc[r][mm] = 0.0f;

  auto chunk_bytes = [&](int64_t c) { return c * kChunk / T::kElems * T::kBytes; };
  auto issue = [&](int64_t c) {
    if (c < n_chunks) {
      const int64_t v1 = c + 1 < n_chunks ? (c + 1) * kChunk : a.k;
      copy_chunk<T>(stages[c % T::kStages], a, n0, chunk_bytes(c), v1 / T::kElems * T::kBytes);
    }
    cp_async_commit();  // an empty group keeps the wait count uniform
  };
  for (int s = 0; s < T::kStages - 1; ++s) issue(s);

  for (int64_t c = 0; c < n_chunks; ++c) {
    issue(c + T::kStages - 1);
    cp_async_wait<T::kStages - 1>();
    __syncthreads();
    const int kk = threadIdx.x * kUnit;
    const int64_t k0 = c * kChunk + kk;
    if (k0 < a.k) {
      const int valid = a.k - k0 < kUnit ? static_cast<int>(a.k - k0) : kUnit;
      float xv[kM][kUnit], sx[kM];
      load_x<kM>(a, k0, valid, xv);
#pragma unroll
      for (int mm = 0; mm < kM; ++mm) {
        sx[mm] = 0.0f;
        if constexpr (F == WeightFormat::kQ4_K)
#pragma unroll
          for (int i = 0; i < kUnit; ++i) sx[mm] += xv[mm][i];
      }
      const uint8_t* stage = stages[c % T::kStages];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        if (n0 + r >= a.n) continue;
        // Row r's bytes sit at their global address mod 16 inside its stage buffer.
        const uintptr_t src = reinterpret_cast<uintptr_t>(a.w + (n0 + r) * a.w_row_bytes + chunk_bytes(c));
        dot_unit<F, kM>(stage + r * T::kRowBuf + (src & 15), kk, valid, xv, sx, acc[r]);
      }
    }
    __syncthreads();  // the next iteration's copy reuses the oldest stage
  }

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int mm = 0; mm < kM; ++mm) {
      float v = acc[r][mm];
#pragma unroll
      for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
      if (lane == 0) partial[warp][r][mm] = v;
    }
  __syncthreads();
  if (threadIdx.x < kRows * kM) {
    const int r = threadIdx.x / kM, mm = threadIdx.x % kM;
    if (n0 + r < a.n && mm < a.m) {
      float s = 0.0f;
#pragma unroll
      for (int w = 0; w < kWarps; ++w) s += partial[w][r][mm];
      a.y[mm * a.ldy + n0 + r] = s;
    }
  }
}

template <WeightFormat F>
int launch_format(DecodeArgs a, int64_t m_total, void* stream) {
  const int64_t blocks = (a.n + kRows - 1) / kRows;
  if (blocks > 0x7fffffff) return static_cast<int>(cudaErrorInvalidValue);
  const dim3 grid(static_cast<unsigned>(blocks)), block(kThreads);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const float* x0 = a.x;
  float* y0 = a.y;
  for (int64_t g = 0; g < m_total; g += kMaxM) {
    a.m = static_cast<int>(m_total - g < kMaxM ? m_total - g : kMaxM);
    a.x = x0 + g * a.ldx;
    a.y = y0 + g * a.ldy;
    if (a.m == 1) {
      decode_kernel<F, 1><<<grid, block, 0, s>>>(a);
    } else if (a.m == 2) {
      decode_kernel<F, 2><<<grid, block, 0, s>>>(a);
    } else if (a.m <= 4) {
      decode_kernel<F, 4><<<grid, block, 0, s>>>(a);
    } else {
      decode_kernel<F, 8><<<grid, block, 0, s>>>(a);
    }
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return static_cast<int>(e);
  }
  return 0;
}

}  // namespace

int matmul_decode(const MatmulLaunch& l, void* stream) {
  const FormatBlock fb = format_block(l.w_format);
  if (fb.elems == 0 || l.m < 0 || l.n < 0 || l.k < 0 || l.k % fb.elems != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  if (l.m == 0 || l.n == 0) return 0;
  const int64_t row_data = l.k / fb.elems * fb.bytes;
  const uintptr_t w_addr = reinterpret_cast<uintptr_t>(l.w);
  const int64_t w_align = l.w_format == WeightFormat::kF32 ? 4 : 2;
  if (!l.x || !l.y || !l.w || l.ldx < l.k || l.ldy < l.n || l.w_row_bytes < row_data ||
      w_addr % w_align != 0 || l.w_row_bytes % w_align != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  DecodeArgs a{};
  a.x = l.x;
  a.ldx = l.ldx;
  a.w = static_cast<const uint8_t*>(l.w);
  a.w_row_bytes = l.w_row_bytes;
  a.w_lo = a.w;
  a.w_hi = a.w + (l.n - 1) * l.w_row_bytes + row_data;
  a.y = l.y;
  a.ldy = l.ldy;
  a.m = 0;  // set per group of rows
  a.n = l.n;
  a.k = l.k;
  a.x_vec4 = reinterpret_cast<uintptr_t>(l.x) % 16 == 0 && l.ldx % 4 == 0;
  switch (l.w_format) {
    case WeightFormat::kF32: return launch_format<WeightFormat::kF32>(a, l.m, stream);
    case WeightFormat::kF16: return launch_format<WeightFormat::kF16>(a, l.m, stream);
    case WeightFormat::kBF16: return launch_format<WeightFormat::kBF16>(a, l.m, stream);
    case WeightFormat::kQ8_0: return launch_format<WeightFormat::kQ8_0>(a, l.m, stream);
    case WeightFormat::kQ4_0: return launch_format<WeightFormat::kQ4_0>(a, l.m, stream);
    case WeightFormat::kQ4_K: return launch_format<WeightFormat::kQ4_K>(a, l.m, stream);
    case WeightFormat::kQ6_K: return launch_format<WeightFormat::kQ6_K>(a, l.m, stream);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

int matmul(const MatmulLaunch& a, void* stream, int* detail) {
  if (detail) *detail = 0;
  if (a.m <= kDecodeMaxRows || a.k == 0) return matmul_decode(a, stream);
  return matmul_prefill(a, stream, detail);
}

}  // namespace mistralrs::kernels
