// Split-KV ("flash decoding") attention: a few query rows against a long K/V cache.
//
// Grid (split, kv head, row chunk). A CTA owns the query rows that share one kv head (up to
// kRows of the n_q * group rows; more rows use further chunks in gridDim.z) and one
// contiguous range of keys. Each warp streams keys with 16-byte loads: D / 8 lanes cover one
// key row (64 -> 8 lanes, 4 keys per warp step; 128 -> 16 lanes, 2 keys; 256 -> 32 lanes, 1
// key), each lane holding 8 elements, so every K and V byte of the range is read once for
// all the rows. Scores are f32 (q from shared memory, pre-scaled by scale * log2 e), reduced
// across the key's lanes with shuffles; each key-lane group keeps its own online-softmax
// state (m, l, acc[rows][8]) which are merged within the warp, then across warps, into a
// partial (m, l, unnormalised acc[D]) per row and split. attention_decode_combine then
// weighs the partials exactly: out = sum_s exp2(m_s - M) acc_s / sum_s exp2(m_s - M) l_s.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "attention.h"
#include "attention_decode_math.cuh"

namespace mistralrs::kernels {
namespace {

namespace dm = decode_math;

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
// Row tiles of the decode kernel; attention_prefers_decode accepts what one tile holds.
constexpr int64_t kMaxRowsPerCta = 16;

struct DecodeParams {
  const void* q;
  int64_t q_row_stride, q_head_stride;
  KvLayout kv;
  float* part_acc;  // [n_kv_heads, rows_total, n_splits, D], unnormalised
  float2* part_ml;  // [n_kv_heads, rows_total, n_splits]: (max, sum) in log2 units
  int64_t n_q, rows_total;
  int32_t group;
  int64_t q_position, window, split_len;
  float scale_log2;
};

__device__ inline float to_float(__half x) { return __half2float(x); }
__device__ inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

// 16 bytes -> 8 floats; element 2i is the low half of word i (little-endian).
__device__ inline void unpack8(const uint4& u, float (&f)[8], __nv_bfloat16) {
  const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    f[2 * i] = __uint_as_float(w[i] << 16);
    f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}
__device__ inline void unpack8(const uint4& u, float (&f)[8], __half) {
  const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    __half2 h;
    memcpy(&h, &w[i], sizeof(h));
    const float2 v = __half22float2(h);
    f[2 * i] = v.x;
    f[2 * i + 1] = v.y;
  }
}

// Run-time key count and the position of query row 0 (attention.h: with n_kv_device the
// queries are the last n_q positions). A device count above the host bound is clamped to it:
// the grid was sized for the bound and nothing past it may be read.
struct KeyCount {
  int64_t n_kv, q_first;
};
__device__ inline KeyCount key_count(const DecodeParams& p) {
  if (p.kv.n_kv_device == nullptr) return {p.kv.n_kv, p.q_position};
  const int64_t n = dm::min64(dm::max64(*p.kv.n_kv_device, 0), p.kv.n_kv);
  return {n, n - p.n_q};
}

// kUnroll key steps per warp are loaded before any is used (bytes in flight); fewer for
// many rows, whose accumulators take the registers.
template <class T, int D, int kRows, int kUnroll>
__global__ void __launch_bounds__(kThreads) decode_kernel(const DecodeParams p) {
  constexpr int kLanesPerKey = dm::lanes_per_key(D);
  constexpr int kKeysPerIter = dm::keys_per_iter(D, kWarps, kUnroll);
  // q row r, element 8c + e at float4 dm::q_vec_index(r, e / 4, c) component e % 4: the
  // lanes of a key group read consecutive float4s (no bank conflicts).
  __shared__ float4 q_s[kRows * 2 * (D / 8)];
  __shared__ float acc_s[kRows][D];
  __shared__ float m_s[kWarps][kRows], l_s[kWarps][kRows];
  __shared__ int64_t begin_s[kRows], end_s[kRows];

  const int split = blockIdx.x, kvh = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(blockIdx.z) * kRows;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const dm::LaneSlot ls = dm::lane_slot(lane, D);
  const int kg = ls.kg, c = ls.c;
  const KeyCount kc = key_count(p);

  float* q_flat = reinterpret_cast<float*>(q_s);
  for (int idx = threadIdx.x; idx < kRows * D; idx += kThreads) {
    const int r = idx / D, d = idx % D;
    const int64_t row = row0 + r;
    float v = 0.0f;
    if (row < p.rows_total) {
      const dm::DecodeRow qr = dm::decode_row(row, p.group, kvh);
      const T* q = static_cast<const T*>(p.q) + qr.i * p.q_row_stride + qr.h * p.q_head_stride;
      v = to_float(q[d]) * p.scale_log2;
    }
    q_flat[dm::q_flat_index(r, d, D)] = v;
  }
  if (threadIdx.x < kRows) {
    const int64_t row = row0 + threadIdx.x;
    dm::KeyRange vis;  // empty for padding rows
    if (row < p.rows_total) vis = dm::visible_keys(kc.q_first + row / p.group, kc.n_kv, p.window);
    begin_s[threadIdx.x] = vis.begin;
    end_s[threadIdx.x] = vis.end;
  }
  __syncthreads();

  const dm::KeyRange mine =
      dm::split_keys(dm::union_keys(kc.q_first, p.n_q, kc.n_kv, p.window), p.split_len, split);
  const T* k_base = static_cast<const T*>(p.kv.k) + dm::chunk_col(c);
  const T* v_base = static_cast<const T*>(p.kv.v) + dm::chunk_col(c);

  float m[kRows], l[kRows], acc[kRows][8];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[r][e] = 0.0f;
  }

  for (int64_t base = mine.begin; base < mine.end; base += kKeysPerIter) {
    int64_t j[kUnroll];
    uint4 kr[kUnroll], vr[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      j[u] = dm::lane_key(base, warp, u, kUnroll, D, kg);
      kr[u] = vr[u] = make_uint4(0, 0, 0, 0);
      if (j[u] < mine.end) {
        const int64_t off = dm::kv_offset(p.kv, j[u], kvh);
        kr[u] = __ldg(reinterpret_cast<const uint4*>(k_base + off));
        vr[u] = __ldg(reinterpret_cast<const uint4*>(v_base + off));
      }
    }
    float s[kUnroll][kRows];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      float kf[8];
      unpack8(kr[u], kf, T{});
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const float4 qa = q_s[dm::q_vec_index(r, 0, c, D)], qb = q_s[dm::q_vec_index(r, 1, c, D)];
        float x = qa.x * kf[0] + qa.y * kf[1] + qa.z * kf[2] + qa.w * kf[3] + qb.x * kf[4] +
                  qb.y * kf[5] + qb.z * kf[6] + qb.w * kf[7];
#pragma unroll
        for (int off = kLanesPerKey / 2; off > 0; off /= 2) x += __shfl_xor_sync(0xffffffffu, x, off);
        const bool visible = j[u] < mine.end && j[u] >= begin_s[r] && j[u] < end_s[r];
        s[u][r] = visible ? x : -INFINITY;
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      float mx = s[0][r];
#pragma unroll
      for (int u = 1; u < kUnroll; ++u) mx = fmaxf(mx, s[u][r]);
      const float m_new = fmaxf(m[r], mx);
      const float alpha = dm::exp2_from(m[r], m_new);
      m[r] = m_new;
      l[r] *= alpha;
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[r][e] *= alpha;
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      float vf[8];
      unpack8(vr[u], vf, T{});
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const float pr = dm::exp2_from(s[u][r], m[r]);
        l[r] += pr;
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[r][e] = fmaf(pr, vf[e], acc[r][e]);
      }
    }
  }

  // Merge the key groups of the warp: lanes lane and lane ^ off hold the same 8 elements.
#pragma unroll
  for (int off = kLanesPerKey; off < 32; off *= 2) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const float mo = __shfl_xor_sync(0xffffffffu, m[r], off);
      const float lo = __shfl_xor_sync(0xffffffffu, l[r], off);
      const dm::Merge mg = dm::merge(m[r], l[r], mo, lo);
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const float ao = __shfl_xor_sync(0xffffffffu, acc[r][e], off);
        acc[r][e] = acc[r][e] * mg.wa + ao * mg.wb;
      }
      m[r] = mg.m;
      l[r] = mg.l;
    }
  }
  if (lane == 0) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) m_s[warp][r] = m[r], l_s[warp][r] = l[r];
  }
  __syncthreads();
  // Across warps: each warp rescales to the CTA max and adds in turn (fixed order, so the
  // result does not depend on scheduling).
  // The CTA's max of row r over its warps (a function, not a register array: the partial
  // writer below indexes rows by thread).
  auto m_cta = [&](int r) {
    float mx = m_s[0][r];
#pragma unroll
    for (int w = 1; w < kWarps; ++w) mx = fmaxf(mx, m_s[w][r]);
    return mx;
  };
  for (int w = 0; w < kWarps; ++w) {
    if (warp == w && kg == 0) {
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const float wr = dm::exp2_from(m[r], m_cta(r));
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          float& dst = acc_s[r][dm::chunk_col(c) + e];
          dst = (w == 0 ? 0.0f : dst) + acc[r][e] * wr;
        }
      }
    }
    __syncthreads();
  }

  const int64_t n_splits = gridDim.x;
  for (int idx = threadIdx.x; idx < kRows * D; idx += kThreads) {
    const int r = idx / D, d = idx % D;
    const int64_t row = row0 + r;
    // A row that saw no key in this split (m = -inf) gets combine weight 0 and its acc is
    // never read: skip the write. Graph replays size the grid for the whole capacity, so
    // most splits are empty while the context is short.
    if (row >= p.rows_total || m_cta(r) == -INFINITY) continue;
    p.part_acc[dm::partial_slot(kvh, p.rows_total, row, n_splits, split) * D + d] = acc_s[r][d];
  }
  if (threadIdx.x < kRows && row0 + threadIdx.x < p.rows_total) {
    const int r = threadIdx.x;
    const float mx = m_cta(r);
    float l_cta = 0.0f;
    for (int w = 0; w < kWarps; ++w) l_cta += l_s[w][r] * dm::exp2_from(m_s[w][r], mx);
    const int64_t slot = dm::partial_slot(kvh, p.rows_total, row0 + r, n_splits, split);
    p.part_ml[slot] = make_float2(mx, l_cta);
  }
}

__device__ inline void store(float* p, float v) { *p = v; }
__device__ inline void store(__half* p, float v) { *p = __float2half_rn(v); }
__device__ inline void store(__nv_bfloat16* p, float v) { *p = __float2bfloat16_rn(v); }

struct CombineParams {
  const float* part_acc;
  const float2* part_ml;
  void* out;
  int64_t o_row_stride, o_head_stride;
  int64_t rows_total;
  int32_t group, n_splits, head_dim;
};

__device__ float block_reduce(float v, bool is_max, float* red) {
  for (int off = 16; off > 0; off /= 2) {
    const float o = __shfl_xor_sync(0xffffffffu, v, off);
    v = is_max ? fmaxf(v, o) : v + o;
  }
  const int n_warps = (blockDim.x + 31) / 32;
  __syncthreads();  // red may still be read by a previous call
  if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = v;
  __syncthreads();
  float r = red[0];
  for (int w = 1; w < n_warps; ++w) r = is_max ? fmaxf(r, red[w]) : r + red[w];
  return r;
}

// One CTA of head_dim threads per (row, kv head): thread d writes out element d.
template <class OutT>
__global__ void __launch_bounds__(256) combine_kernel(const CombineParams p) {
  __shared__ float w_s[dm::kMaxSplits];
  __shared__ float red[8];
  const int64_t row = blockIdx.x;
  const int kvh = blockIdx.y;
  const int64_t slot0 = dm::partial_slot(kvh, p.rows_total, row, p.n_splits, 0);
  float m = -INFINITY;
  for (int s = threadIdx.x; s < p.n_splits; s += blockDim.x) m = fmaxf(m, p.part_ml[slot0 + s].x);
  const float m_max = block_reduce(m, true, red);
  float l = 0.0f;
  for (int s = threadIdx.x; s < p.n_splits; s += blockDim.x) {
    const float2 ml = p.part_ml[slot0 + s];
    l += ml.y * dm::exp2_from(ml.x, m_max);
  }
  const float inv_l = dm::inv_or_zero(block_reduce(l, false, red));
  for (int s = threadIdx.x; s < p.n_splits; s += blockDim.x)
    w_s[s] = dm::combine_weight(p.part_ml[slot0 + s].x, m_max, inv_l);
  __syncthreads();
  const int d = threadIdx.x;
  float o = 0.0f;
  for (int s = 0; s < p.n_splits; ++s) {
    const float w = w_s[s];
    // Required, not only a saving: splits with m = -inf (w = 0) left their acc unwritten.
    if (w != 0.0f) o = fmaf(w, p.part_acc[(slot0 + s) * p.head_dim + d], o);
  }
  const dm::DecodeRow orow = dm::decode_row(row, p.group, kvh);
  store(static_cast<OutT*>(p.out) + orow.i * p.o_row_stride + orow.h * p.o_head_stride + d, o);
}

using DecodeKernel = void (*)(DecodeParams);

template <class T, int D>
DecodeKernel pick_kernel(int rows) {
  if (rows <= 1) return decode_kernel<T, D, 1, 8>;
  if (rows <= 4) return decode_kernel<T, D, 4, 4>;
  if (rows <= 8) return decode_kernel<T, D, 8, 2>;
  return decode_kernel<T, D, 16, 1>;
}

template <class T>
DecodeKernel pick_kernel(int head_dim, int rows) {
  if (head_dim == 64) return pick_kernel<T, 64>(rows);
  if (head_dim == 128) return pick_kernel<T, 128>(rows);
  return pick_kernel<T, 256>(rows);
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// What the kernels cannot run (or would read out of bounds with) is refused here, before
// anything is allocated or launched. 16-byte loads need k/v 16-byte aligned and every
// stride a multiple of 8 elements.
bool args_ok(const AttnArgs& a) {
  if (a.type != AttnType::kF16 && a.type != AttnType::kBF16) return false;
  if (a.head_dim != 64 && a.head_dim != 128 && a.head_dim != 256) return false;
  const KvLayout& kv = a.kv;
  if (a.n_heads <= 0 || kv.n_kv_heads <= 0 || a.n_heads % kv.n_kv_heads != 0) return false;
  if (kv.n_kv_heads > 65535 || a.n_q < 0 || kv.n_kv < 0 || a.sliding_window < 0) return false;
  if (!std::isfinite(a.scale) || (kv.n_kv_device == nullptr && a.q_position < 0)) return false;
  if (a.n_q > 0 && (a.q == nullptr || a.out == nullptr)) return false;
  if (kv.n_kv == 0) return true;  // nothing is read
  if (kv.k == nullptr || kv.v == nullptr || !aligned16(kv.k) || !aligned16(kv.v)) return false;
  if (kv.row_stride < 0 || kv.head_stride < 0 || kv.row_stride % 8 || kv.head_stride % 8)
    return false;
  if (kv.block_table != nullptr && (kv.block_size <= 0 || kv.block_stride < 0 || kv.block_stride % 8))
    return false;
  return true;
}

// Resident CTAs of `kernel` on the current device (at least 1).
int device_capacity(DecodeKernel kernel, int* err) {
  int dev = 0, sms = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  if (e == cudaSuccess)
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0);
  *err = static_cast<int>(e);
  return sms * (per_sm > 0 ? per_sm : 1);
}

}  // namespace

bool attention_prefers_decode(int64_t n_q, int32_t n_heads, int32_t n_kv_heads) {
  if (n_q <= 0 || n_heads <= 0 || n_kv_heads <= 0 || n_heads % n_kv_heads != 0) return false;
  return n_q * (n_heads / n_kv_heads) <= kMaxRowsPerCta;
}

int attention_decode(const AttnArgs& a, void* stream) {
  if (!args_ok(a)) return static_cast<int>(cudaErrorInvalidValue);
  if (a.n_q == 0) return 0;
  const int64_t group = a.n_heads / a.kv.n_kv_heads;
  const int64_t rows_total = a.n_q * group;
  const int64_t row_chunks = dm::ceil_div(rows_total, kMaxRowsPerCta);
  if (rows_total > 0x7fffffff || row_chunks > 65535) return static_cast<int>(cudaErrorInvalidValue);
  const int rows = static_cast<int>(dm::min64(rows_total, kMaxRowsPerCta));
  const DecodeKernel kernel = a.type == AttnType::kBF16
                                  ? pick_kernel<__nv_bfloat16>(a.head_dim, rows)
                                  : pick_kernel<__half>(a.head_dim, rows);
  int err = 0;
  const int capacity = device_capacity(kernel, &err);
  if (err != 0) {
    cudaGetLastError();
    return err;
  }
  // About two waves of resident CTAs (the brief's "2+"); splits of at least kMinSplitLen
  // keys keep each CTA's fixed cost (q load, merges, partial write) small. Tune on the GPU.
  const int64_t max_keys = dm::max_keys_bound(a.q_position, a.n_q, a.kv.n_kv, a.sliding_window,
                                              a.kv.n_kv_device != nullptr);
  const int64_t ctas_per_split = a.kv.n_kv_heads * row_chunks;
  const int64_t split_len = dm::choose_split_len(max_keys, ctas_per_split, 2 * int64_t{capacity});
  const int64_t n_splits = dm::num_splits(max_keys, split_len);

  const int64_t n_slots = a.kv.n_kv_heads * rows_total * n_splits;
  const size_t ml_bytes = static_cast<size_t>(n_slots) * sizeof(float2);
  const size_t bytes = ml_bytes + static_cast<size_t>(n_slots * a.head_dim) * sizeof(float);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  void* buf = nullptr;
  cudaError_t e = cudaMallocAsync(&buf, bytes, s);
  if (e != cudaSuccess) {
    cudaGetLastError();  // not sticky: keep it from failing the caller's next launch check
    return static_cast<int>(e);
  }

  DecodeParams p{};
  p.q = a.q;
  p.q_row_stride = a.q_row_stride;
  p.q_head_stride = a.q_head_stride;
  p.kv = a.kv;
  p.part_ml = static_cast<float2*>(buf);
  p.part_acc = reinterpret_cast<float*>(static_cast<char*>(buf) + ml_bytes);
  p.n_q = a.n_q;
  p.rows_total = rows_total;
  p.group = static_cast<int32_t>(group);
  p.q_position = a.q_position;
  p.window = a.sliding_window;
  p.split_len = split_len;
  p.scale_log2 = a.scale * dm::kLog2e;
  const dim3 grid(static_cast<unsigned>(n_splits), static_cast<unsigned>(a.kv.n_kv_heads),
                  static_cast<unsigned>(row_chunks));
  kernel<<<grid, kThreads, 0, s>>>(p);
  e = cudaGetLastError();
  if (e == cudaSuccess) {
    CombineParams cp{p.part_acc, p.part_ml, a.out, a.o_row_stride, a.o_head_stride, rows_total,
                     p.group, static_cast<int32_t>(n_splits), a.head_dim};
    const dim3 cgrid(static_cast<unsigned>(rows_total), static_cast<unsigned>(a.kv.n_kv_heads));
    if (a.out_f32) {
      combine_kernel<float><<<cgrid, a.head_dim, 0, s>>>(cp);
    } else if (a.type == AttnType::kBF16) {
      combine_kernel<__nv_bfloat16><<<cgrid, a.head_dim, 0, s>>>(cp);
    } else {
      combine_kernel<__half><<<cgrid, a.head_dim, 0, s>>>(cp);
    }
    e = cudaGetLastError();
  }
  const cudaError_t free_err = cudaFreeAsync(buf, s);
  return static_cast<int>(e != cudaSuccess ? e : free_err);
}

}  // namespace mistralrs::kernels
