// Fused causal prefill attention (FlashAttention-2 manner) for sm_80 and later:
// tensor-core mma.sync m16n8k16 (f16 or bf16 in, f32 accumulation), ldmatrix fragments,
// cp.async double-buffered K/V tiles, online softmax in f32 on log2-scaled scores; the score
// matrix never leaves registers. No Hopper-only instructions (wgmma/TMA are not used).
//
// One block per (tile of kBlockM packed query rows, kv head). The rows of a tile interleave
// the `group` query heads sharing the kv head (attention_math.cuh packed_row), so each K/V
// tile read from memory serves every head of the group. Each warp owns 16 rows and the
// whole head dimension of its output. Blocks are launched latest-tile first: under the
// causal mask those see the most keys, so the long blocks start early.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "attention.h"
#include "attention_math.cuh"

namespace mistralrs::kernels {
namespace {

// Per head dim: warps per block (16 query rows each) and keys per K/V tile. Shared memory
// is (kBlockM + 4 * kBlockN) rows of head_dim + 8 elements (Q, then K and V twice):
// hd 64: 54 KB, hd 128: 102 KB, hd 256: 99 KB. Registers bound the occupancy first
// (ptxas, nvcc 13.0, no spills: hd 64 ~155, hd 128 ~250, hd 256 ~250 per thread), so hd 64
// and 128 run one 8-warp block per SM and hd 256 two 4-warp blocks on H100/H200 (smem 227
// KB), one on A100. Q fragments stay in registers for hd <= 128 (32 registers at 128);
// at 256 the output accumulator alone takes 128 registers, so Q is re-read from shared
// memory at each step instead.
template <int kD>
struct Tiling;
template <>
struct Tiling<64> {
  static constexpr int kWarps = 8, kBlockN = 64;
  static constexpr bool kQInRegs = true;
};
template <>
struct Tiling<128> {
  static constexpr int kWarps = 8, kBlockN = 64;
  static constexpr bool kQInRegs = true;
};
template <>
struct Tiling<256> {
  static constexpr int kWarps = 4, kBlockN = 32;
  static constexpr bool kQInRegs = false;
};

// Shared-memory rows are padded by 16 bytes: consecutive rows then start 4 banks apart, so
// the 8 row addresses of each ldmatrix phase hit all 32 banks once (no conflicts).
template <int kD>
constexpr int kSmemStride = kD + 8;
template <int kD>
constexpr size_t smem_bytes() {
  return static_cast<size_t>(Tiling<kD>::kWarps * 16 + 4 * Tiling<kD>::kBlockN) *
         kSmemStride<kD> * sizeof(uint16_t);
}

// The launcher's arguments after validation (element pointers as raw 16-bit words).
struct Params {
  const uint16_t* q;
  int64_t q_row_stride, q_head_stride;
  const uint16_t* k;
  const uint16_t* v;
  const int32_t* block_table;
  int64_t block_size, block_stride, row_stride, head_stride;
  int64_t n_kv;
  const int32_t* n_kv_device;
  void* out;
  bool out_f32;
  int64_t o_row_stride, o_head_stride;
  int64_t n_q, group;
  float scale_log2;  // softmax scale * log2(e)
  int64_t q_position, window;
};

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void cp_async16(void* dst, const void* src) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_u32(dst)), "l"(src));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}
__device__ __forceinline__ void zero16(void* dst) { *reinterpret_cast<uint4*>(dst) = make_uint4(0, 0, 0, 0); }

// Four 8x8 16-bit matrices; lanes 8i..8i+7 give the row addresses of matrix i and each
// lane receives row lane/4, columns 2*(lane%4) and +1 of every matrix (transposed: column
// lane/4, rows 2*(lane%4) and +1).
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const uint16_t* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const uint16_t* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p)));
}

// c += a (16x16, row-major fragment) * b (16x8, column fragment b0 b1), f32 accumulation.
template <class T>
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if constexpr (std::is_same_v<T, __half>) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

// Two floats rounded to T, the first in the low half (the lower column of a fragment).
template <class T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  uint32_t r;
  if constexpr (std::is_same_v<T, __half>) {
    const __half2 h = __floats2half2_rn(lo, hi);
    r = *reinterpret_cast<const uint32_t*>(&h);
  } else {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    r = *reinterpret_cast<const uint32_t*>(&h);
  }
  return r;
}

// Q rows of the tile into shared memory [kBlockM][stride]; rows past the last get zeros.
template <int kD, int kThreads, int kRows>
__device__ __forceinline__ void load_q(const Params& p, int64_t row0, int64_t n_rows, int64_t kv_head,
                                       uint16_t* sq) {
  constexpr int kChunks = kD / 8;  // 16-byte pieces per row
  constexpr int kRowsPerPass = kThreads / kChunks;
  static_assert(kThreads % kChunks == 0 && kRows % kRowsPerPass == 0, "load tiling");
  const int col = (threadIdx.x % kChunks) * 8;
#pragma unroll
  for (int pass = 0; pass < kRows / kRowsPerPass; ++pass) {
    const int r = threadIdx.x / kChunks + pass * kRowsPerPass;
    uint16_t* dst = sq + r * kSmemStride<kD> + col;
    if (row0 + r < n_rows) {
      const attn::PackedRow pr = attn::packed_row(row0 + r, p.group, kv_head);
      cp_async16(dst, p.q + pr.i * p.q_row_stride + pr.h * p.q_head_stride + col);
    } else {
      zero16(dst);
    }
  }
}

// Keys tile_start .. tile_start + kRows - 1 of K and V into shared memory; keys at or past
// n_kv get zeros (so that 0-weight * V stays 0, never 0 * NaN).
template <int kD, int kThreads, int kRows>
__device__ __forceinline__ void load_kv(const Params& p, int64_t tile_start, int64_t n_kv, int64_t kv_head,
                                        uint16_t* sk, uint16_t* sv) {
  constexpr int kChunks = kD / 8;
  constexpr int kRowsPerPass = kThreads / kChunks;
  static_assert(kThreads % kChunks == 0 && kRows % kRowsPerPass == 0, "load tiling");
  const int col = (threadIdx.x % kChunks) * 8;
#pragma unroll
  for (int pass = 0; pass < kRows / kRowsPerPass; ++pass) {
    const int r = threadIdx.x / kChunks + pass * kRowsPerPass;
    const int64_t j = tile_start + r;
    uint16_t* dk = sk + r * kSmemStride<kD> + col;
    uint16_t* dv = sv + r * kSmemStride<kD> + col;
    if (j < n_kv) {
      const int64_t off = attn::kv_offset(p.block_table, p.block_size, p.block_stride, p.row_stride,
                                          p.head_stride, j, kv_head) + col;
      cp_async16(dk, p.k + off);
      cp_async16(dv, p.v + off);
    } else {
      zero16(dk);
      zero16(dv);
    }
  }
}

// The A fragment of rows 16*warp.. of Q, columns kk*16..+15, from shared memory.
template <int kD>
__device__ __forceinline__ void load_q_frag(uint32_t (&a)[4], const uint16_t* sq, int warp, int kk) {
  const attn::TileRowCol at = attn::ldmatrix_a_addr(threadIdx.x % 32);
  ldmatrix_x4(a, sq + (warp * 16 + at.row) * kSmemStride<kD> + kk * 16 + at.col);
}

// s[nt] (16 rows x 8 keys, nt = 0..kN/8-1) = Q_warp * K_tile^T.
template <int kD, int kN, bool kQInRegs, class T>
__device__ __forceinline__ void scores(float (&s)[kN / 8][4], const uint32_t (&qf)[kQInRegs ? kD / 16 : 1][4],
                                       const uint16_t* sq, const uint16_t* sk, int warp) {
  const attn::TileRowCol at = attn::ldmatrix_b_addr(threadIdx.x % 32);
#pragma unroll
  for (int nt = 0; nt < kN / 8; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk) {
    uint32_t a[4];
    if constexpr (kQInRegs) {
      a[0] = qf[kk][0], a[1] = qf[kk][1], a[2] = qf[kk][2], a[3] = qf[kk][3];
    } else {
      load_q_frag<kD>(a, sq, warp, kk);
    }
#pragma unroll
    for (int n2 = 0; n2 < kN / 16; ++n2) {
      // Matrices: keys +0..7 at d +0 and +8 (b0, b1 of tile 2*n2), keys +8..15 likewise.
      uint32_t b[4];
      ldmatrix_x4(b, sk + (n2 * 16 + at.row) * kSmemStride<kD> + kk * 16 + at.col);
      mma_16816<T>(s[2 * n2], a, b[0], b[1]);
      mma_16816<T>(s[2 * n2 + 1], a, b[2], b[3]);
    }
  }
}

// Masks, updates the running max/sum of this thread's two rows (g and g + 8 of the warp)
// and turns s into the weights exp2(s - m_new); rescales the output accumulator.
template <int kD, int kN>
__device__ __forceinline__ void online_softmax(float (&s)[kN / 8][4], float (&o)[kD / 8][4], float (&m)[2],
                                               float (&l)[2], const Params& p, bool masked,
                                               int64_t tile_start, const int64_t (&pos)[2], int64_t n_kv) {
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int nt = 0; nt < kN / 8; ++nt) {
#pragma unroll
    for (int c = 0; c < 4; ++c) s[nt][c] *= p.scale_log2;
  }
  if (masked) {  // uniform per tile: only diagonal, window-edge and last tiles pay for it
#pragma unroll
    for (int nt = 0; nt < kN / 8; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        if (!attn::key_visible(tile_start + nt * 8 + attn::acc_elem(lane, c).col, pos[c / 2], n_kv, p.window))
          s[nt][c] = -INFINITY;
      }
    }
  }
  float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int nt = 0; nt < kN / 8; ++nt) {
#pragma unroll
    for (int c = 0; c < 4; ++c) mx[c / 2] = fmaxf(mx[c / 2], s[nt][c]);
  }
  float alpha[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    // The 4 lanes of a quad hold one row's columns.
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 1));
    mx[i] = fmaxf(mx[i], __shfl_xor_sync(0xffffffffu, mx[i], 2));
    const float m_new = fmaxf(m[i], mx[i]);
    alpha[i] = attn::softmax_rescale(m[i], m_new);
    m[i] = m_new;
  }
  float sum[2] = {0.0f, 0.0f};
#pragma unroll
  for (int nt = 0; nt < kN / 8; ++nt) {
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      s[nt][c] = attn::softmax_weight(s[nt][c], m[c / 2]);
      sum[c / 2] += s[nt][c];
    }
  }
  // l stays a per-lane partial sum (the quad's alpha is common); reduced once at the end.
  l[0] = l[0] * alpha[0] + sum[0];
  l[1] = l[1] * alpha[1] + sum[1];
#pragma unroll
  for (int dt = 0; dt < kD / 8; ++dt) {
    o[dt][0] *= alpha[0], o[dt][1] *= alpha[0];
    o[dt][2] *= alpha[1], o[dt][3] *= alpha[1];
  }
}

// o += P (16 x kN weights, rounded to T) * V_tile.
template <int kD, int kN, class T>
__device__ __forceinline__ void accumulate_pv(float (&o)[kD / 8][4], const float (&s)[kN / 8][4],
                                              const uint16_t* sv) {
  const attn::TileRowCol at = attn::ldmatrix_a_addr(threadIdx.x % 32);  // the .trans pattern
#pragma unroll
  for (int kk = 0; kk < kN / 16; ++kk) {
    // The accumulator layout of score tiles 2kk and 2kk+1 is the A layout of keys 16kk..+15.
    const uint32_t a[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]), pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                           pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                           pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
    for (int d2 = 0; d2 < kD / 16; ++d2) {
      // Transposed matrices: keys +0..7 / +8..15 at d +0 (b0, b1 of d tile 2*d2), then d +8.
      uint32_t b[4];
      ldmatrix_x4_trans(b, sv + (kk * 16 + at.row) * kSmemStride<kD> + d2 * 16 + at.col);
      mma_16816<T>(o[2 * d2], a, b[0], b[1]);
      mma_16816<T>(o[2 * d2 + 1], a, b[2], b[3]);
    }
  }
}

// Writes this thread's two rows: o / l (zeros for a row that saw no key).
template <int kD, class T>
__device__ __forceinline__ void store_rows(const Params& p, const float (&o)[kD / 8][4], const float (&l)[2],
                                           int64_t row_a, int64_t n_rows, int64_t kv_head) {
  const int col = attn::acc_elem(threadIdx.x % 32, 0).col;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    float total = l[i];
    total += __shfl_xor_sync(0xffffffffu, total, 1);
    total += __shfl_xor_sync(0xffffffffu, total, 2);
    const float inv = attn::softmax_finish(1.0f, total);
    const int64_t r = row_a + 8 * i;
    if (r >= n_rows) continue;
    const attn::PackedRow pr = attn::packed_row(r, p.group, kv_head);
    const int64_t base = pr.i * p.o_row_stride + pr.h * p.o_head_stride + col;
#pragma unroll
    for (int dt = 0; dt < kD / 8; ++dt) {
      const float x0 = o[dt][2 * i] * inv, x1 = o[dt][2 * i + 1] * inv;
      if (p.out_f32) {
        *reinterpret_cast<float2*>(static_cast<float*>(p.out) + base + dt * 8) = make_float2(x0, x1);
      } else {
        *reinterpret_cast<uint32_t*>(static_cast<uint16_t*>(p.out) + base + dt * 8) = pack2<T>(x0, x1);
      }
    }
  }
}

template <int kD, class T>
__global__ void __launch_bounds__(Tiling<kD>::kWarps * 32) prefill_kernel(const Params p) {
  constexpr int kWarps = Tiling<kD>::kWarps, kThreads = kWarps * 32, kM = kWarps * 16;
  constexpr int kN = Tiling<kD>::kBlockN;
  constexpr bool kQInRegs = Tiling<kD>::kQInRegs;
  constexpr int kS = kSmemStride<kD>;
  extern __shared__ __align__(16) uint16_t smem[];
  uint16_t* sq = smem;              // [kM][kS]
  uint16_t* sk = sq + kM * kS;      // [2][kN][kS]
  uint16_t* sv = sk + 2 * kN * kS;  // [2][kN][kS]

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t kv_head = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(gridDim.x - 1 - blockIdx.x) * kM;
  const int64_t n_rows = p.n_q * p.group;
  int64_t n_kv = p.n_kv, q_position = p.q_position;
  if (p.n_kv_device != nullptr) {
    // Run-time key count (CUDA graphs); clamped to the bound the buffers were sized for.
    const int64_t dev_n = *p.n_kv_device;
    n_kv = dev_n < 0 ? 0 : (dev_n > p.n_kv ? p.n_kv : dev_n);
    q_position = n_kv - p.n_q;
  }
  const attn::BlockPlan plan = attn::plan_block(row0, kM, n_rows, p.group, q_position, n_kv, p.window, kN);

  // This thread's rows (g and g + 8 of its warp) and their positions; rows past the last
  // take the last row's position (they are computed on zeros and never stored).
  const int64_t row_a = row0 + warp * 16 + attn::acc_elem(lane, 0).row;
  int64_t pos[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int64_t r = row_a + 8 * i < n_rows ? row_a + 8 * i : n_rows - 1;
    pos[i] = q_position + r / p.group;
  }

  float o[kD / 8][4];
#pragma unroll
  for (int dt = 0; dt < kD / 8; ++dt) o[dt][0] = o[dt][1] = o[dt][2] = o[dt][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};

  if (plan.tile_begin < plan.tile_end) {
    load_q<kD, kThreads, kM>(p, row0, n_rows, kv_head, sq);
    cp_async_commit();
    load_kv<kD, kThreads, kN>(p, plan.tile_begin * kN, n_kv, kv_head, sk, sv);
    cp_async_commit();
    uint32_t qf[kQInRegs ? kD / 16 : 1][4];
    for (int64_t t = plan.tile_begin; t < plan.tile_end; ++t) {
      const int stage = static_cast<int>((t - plan.tile_begin) & 1);
      if (t + 1 < plan.tile_end)  // prefetch the next tile into the other stage
        load_kv<kD, kThreads, kN>(p, (t + 1) * kN, n_kv, kv_head, sk + (stage ^ 1) * kN * kS,
                                  sv + (stage ^ 1) * kN * kS);
      cp_async_commit();  // possibly empty: keeps one group per iteration for the wait below
      cp_async_wait<1>();  // everything but the prefetch has landed (Q and tile t)
      __syncthreads();
      if constexpr (kQInRegs) {
        if (t == plan.tile_begin) {
#pragma unroll
          for (int kk = 0; kk < kD / 16; ++kk) load_q_frag<kD>(qf[kk], sq, warp, kk);
        }
      }
      const uint16_t* sk_t = sk + stage * kN * kS;
      const uint16_t* sv_t = sv + stage * kN * kS;
      float s[kN / 8][4];
      scores<kD, kN, kQInRegs, T>(s, qf, sq, sk_t, warp);
      const bool masked = !attn::tile_fully_visible(t * kN, kN, plan.p_lo, plan.p_hi, n_kv, p.window);
      online_softmax<kD, kN>(s, o, m, l, p, masked, t * kN, pos, n_kv);
      accumulate_pv<kD, kN, T>(o, s, sv_t);
      __syncthreads();  // the stage is overwritten by the prefetch of the next iteration
    }
    cp_async_wait<0>();
  }
  store_rows<kD, T>(p, o, l, row_a, n_rows, kv_head);
}

bool aligned(const void* ptr, size_t bytes) { return reinterpret_cast<uintptr_t>(ptr) % bytes == 0; }

// What the kernel cannot run, as cudaErrorInvalidValue: 16-byte loads need q, k, v and
// every row/head/block stride on 16 bytes (8 elements); the output pairs need 2-element
// alignment; sizes must fit the 32-bit index math and the grid.
cudaError_t validate(const AttnArgs& a) {
  const KvLayout& kv = a.kv;
  if (a.type != AttnType::kF16 && a.type != AttnType::kBF16) return cudaErrorInvalidValue;
  if (a.head_dim != 64 && a.head_dim != 128 && a.head_dim != 256) return cudaErrorInvalidValue;
  if (a.n_heads <= 0 || kv.n_kv_heads <= 0 || a.n_heads % kv.n_kv_heads != 0) return cudaErrorInvalidValue;
  if (kv.n_kv_heads > 65535) return cudaErrorInvalidValue;  // gridDim.y
  if (a.n_q < 0 || kv.n_kv < 0 || kv.n_kv > INT32_MAX || a.sliding_window < 0) return cudaErrorInvalidValue;
  if (a.n_q > INT32_MAX / a.n_heads) return cudaErrorInvalidValue;  // packed rows and gridDim.x
  if (!std::isfinite(a.scale)) return cudaErrorInvalidValue;
  // Positions stay within +-2^32, so position and window arithmetic cannot overflow.
  if (kv.n_kv_device == nullptr && (a.q_position > INT32_MAX || a.q_position < -INT32_MAX))
    return cudaErrorInvalidValue;
  // With no keys (an empty cache) K and V are never read and may be null.
  if (a.q == nullptr || a.out == nullptr || (kv.n_kv > 0 && (kv.k == nullptr || kv.v == nullptr)))
    return cudaErrorInvalidValue;
  if (!aligned(a.q, 16) || !aligned(kv.k, 16) || !aligned(kv.v, 16)) return cudaErrorInvalidValue;
  if (a.q_row_stride % 8 != 0 || a.q_head_stride % 8 != 0 || kv.row_stride % 8 != 0 ||
      kv.head_stride % 8 != 0)
    return cudaErrorInvalidValue;
  if (kv.block_table != nullptr &&
      (kv.block_size <= 0 || kv.block_size > INT32_MAX || kv.block_stride % 8 != 0))
    return cudaErrorInvalidValue;
  if (!aligned(a.out, a.out_f32 ? 8 : 4) || a.o_row_stride % 2 != 0 || a.o_head_stride % 2 != 0)
    return cudaErrorInvalidValue;
  return cudaSuccess;
}

template <int kD, class T>
int launch(const Params& p, int n_kv_heads, cudaStream_t stream) {
  constexpr size_t kSmem = smem_bytes<kD>();
  constexpr int kM = Tiling<kD>::kWarps * 16;
  int device = 0, optin = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (err != cudaSuccess) return err;
  if (kSmem > static_cast<size_t>(optin)) return cudaErrorInvalidValue;  // pre-sm_80 device
  err = cudaFuncSetAttribute(prefill_kernel<kD, T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(kSmem));
  if (err != cudaSuccess) return err;
  const int64_t blocks = (p.n_q * p.group + kM - 1) / kM;
  const dim3 grid(static_cast<unsigned>(blocks), static_cast<unsigned>(n_kv_heads));
  prefill_kernel<kD, T><<<grid, Tiling<kD>::kWarps * 32, kSmem, stream>>>(p);
  return cudaGetLastError();
}

template <class T>
int launch_head_dim(const Params& p, int head_dim, int n_kv_heads, cudaStream_t stream) {
  switch (head_dim) {
    case 64: return launch<64, T>(p, n_kv_heads, stream);
    case 128: return launch<128, T>(p, n_kv_heads, stream);
    default: return launch<256, T>(p, n_kv_heads, stream);
  }
}

}  // namespace

int attention_prefill(const AttnArgs& a, void* stream) {
  const cudaError_t bad = validate(a);
  if (bad != cudaSuccess) return bad;
  if (a.n_q == 0) return 0;
  const KvLayout& kv = a.kv;
  Params p{};
  p.q = static_cast<const uint16_t*>(a.q);
  p.q_row_stride = a.q_row_stride, p.q_head_stride = a.q_head_stride;
  p.k = static_cast<const uint16_t*>(kv.k), p.v = static_cast<const uint16_t*>(kv.v);
  p.block_table = kv.block_table;
  p.block_size = kv.block_size, p.block_stride = kv.block_stride;
  p.row_stride = kv.row_stride, p.head_stride = kv.head_stride;
  p.n_kv = kv.n_kv, p.n_kv_device = kv.n_kv_device;
  p.out = a.out, p.out_f32 = a.out_f32;
  p.o_row_stride = a.o_row_stride, p.o_head_stride = a.o_head_stride;
  p.n_q = a.n_q, p.group = a.n_heads / kv.n_kv_heads;
  const float scale = a.scale != 0.0f ? a.scale : 1.0f / sqrtf(static_cast<float>(a.head_dim));
  p.scale_log2 = scale * attn::kLog2e;
  p.q_position = a.q_position;
  // Every p - j is below 2^33 (|p| < 2^32, 0 <= j < 2^31): a wider window hides nothing.
  p.window = a.sliding_window >= (int64_t{1} << 33) ? 0 : a.sliding_window;
  auto* s = static_cast<cudaStream_t>(stream);
  if (a.type == AttnType::kF16) return launch_head_dim<__half>(p, a.head_dim, kv.n_kv_heads, s);
  return launch_head_dim<__nv_bfloat16>(p, a.head_dim, kv.n_kv_heads, s);
}

}  // namespace mistralrs::kernels
