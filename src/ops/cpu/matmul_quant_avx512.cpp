// AVX-512 VNNI integer matmul kernels. Activations are int8 (signed), weights are made
// unsigned and fed to vpdpbusd (u8 x s8, 4 products per int32 lane) or to vpmaddubsw +
// vpdpwssd when each group of products needs its own integer scale (k-quants):
//   q8_0: w + 128 (xor 0x80);  sum (w+128) a = sum w a + 128 sum a, so each block's 8
//         lanes start at -16 * sum(a) (the activation sums) and the dot is exact.
//   q4_0: nibble n = w + 8;    lanes start at -sum(a) (8 lanes x -sum = -8 sum a).
//   q4_k: nibble q in 0..15;   sum_j sc_j (q . a)_j in int32, minus the mins term
//         dmin * sum_j m_j sum(a)_j added in float.
//   q6_k: q in 0..63;          sum_s sc_s (q . a)_s - 32 sum_s sc_s sum(a)_s in int32.
// Block scales are applied in f32 once per block (q8_0/q4_0: per pair of blocks in one
// 512-bit vector) or per super-block (k-quants). No int16 step saturates: maddubs sums two
// products of at most 63 * 128.
#include <cstring>

#include "core/quant.h"
#include "ops/cpu/matmul_kernels.h"

#if defined(__x86_64__)
#include "ops/cpu/matmul_simd.h"

namespace mistralrs::cpu {

namespace {

// ---- activation quantization --------------------------------------------------------------

// x[0, 16 * n) -> qs with scale amax / 127; returns the scale, writes per-16 sums.
template <int N>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline float
quantize_span(const float* x, int8_t* qs, int32_t* sums16) {
  __m512 amax = _mm512_setzero_ps();
  for (int i = 0; i < N; ++i) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + 16 * i)));
  const float m = _mm512_reduce_max_ps(amax);
  const __m512 id = _mm512_set1_ps(m > 0.0f ? 127.0f / m : 0.0f);
  for (int i = 0; i < N; ++i) {
    const __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * i), id));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16 * i), _mm512_cvtsepi32_epi8(q));
    sums16[i] = _mm512_reduce_add_epi32(q);
  }
  return m / 127.0f;
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) void
quantize_row(const float* x, int64_t k, DType w_type, int8_t* qs, float* d, int16_t* sums) {
  int block, group;
  quantized_layout(w_type, &block, &group);
  int32_t s16[16];
  for (int64_t b = 0; b < k / block; ++b) {
    const int64_t i = b * block;
    if (block == 32) {
      d[b] = quantize_span<2>(x + i, qs + i, s16);
      sums[b] = static_cast<int16_t>(s16[0] + s16[1]);
    } else {
      d[b] = quantize_span<16>(x + i, qs + i, s16);
      const int per = group / 16;
      for (int g = 0; g < 256 / group; ++g)
        sums[b * (256 / group) + g] = static_cast<int16_t>(per == 1 ? s16[g] : s16[2 * g] + s16[2 * g + 1]);
    }
  }
}

// ---- q8_0 / q4_0: two blocks of 32 per 512-bit vector --------------------------------------
//
// q8_0 lanes follow memory: int32 lanes 0-7 are block b, 8-15 block b+1. q4_0 unpacks
// [lo nibbles b, lo nibbles b+1, hi nibbles b, hi nibbles b+1] (128-bit lanes), so the
// activation vector is permuted the same way and lanes 0-3, 8-11 are block b.

template <DType T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline __m512
pair_ps(float v0, float v1) {
  if constexpr (T == DType::kQ8_0) return _mm512_insertf32x8(_mm512_set1_ps(v0), _mm256_set1_ps(v1), 1);
  else return _mm512_broadcast_f32x8(_mm256_setr_m128(_mm_set1_ps(v0), _mm_set1_ps(v1)));
}

template <DType T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline __m512i
pair_epi32(int v0, int v1) {
  if constexpr (T == DType::kQ8_0)
    return _mm512_inserti32x8(_mm512_set1_epi32(v0), _mm256_set1_epi32(v1), 1);
  else return _mm512_broadcast_i32x8(_mm256_setr_m128i(_mm_set1_epi32(v0), _mm_set1_epi32(v1)));
}

// Unsigned weight codes and f32 scales of blocks b0, b1 of one row, in pair lane order.
template <DType T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline void
weight_pair(const uint8_t* row, int64_t b0, int64_t b1, __m512i* codes, __m512* scale) {
  if constexpr (T == DType::kQ8_0) {
    const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(row);
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[b0].qs));
    const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[b1].qs));
    *codes = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1),
                              _mm512_set1_epi8(static_cast<char>(0x80)));
    const __m256i h = _mm256_setr_m128i(_mm_set1_epi16(static_cast<short>(b[b0].d)),
                                        _mm_set1_epi16(static_cast<short>(b[b1].d)));
    *scale = _mm512_cvtph_ps(h);
  } else {
    const BlockQ4_0* b = reinterpret_cast<const BlockQ4_0*>(row);
    const __m256i lo = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(b[b1].qs),
                                           reinterpret_cast<const __m128i*>(b[b0].qs));
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(lo), _mm256_srli_epi16(lo, 4), 1);
    *codes = _mm512_and_si512(both, _mm512_set1_epi8(0x0F));
    const __m128i h = _mm_unpacklo_epi64(_mm_set1_epi16(static_cast<short>(b[b0].d)),
                                         _mm_set1_epi16(static_cast<short>(b[b1].d)));
    *scale = _mm512_broadcast_f32x8(_mm256_cvtph_ps(h));
  }
}

// One pair of blocks (b, b+1), or the last block alone (kSingle: the upper half of the
// activations, scales and offsets is zero, so it adds nothing).
template <DType T, int MR, bool kSingle>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline void
pair_step(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t b, int64_t pf,
          __m512 (&acc)[MR][kTileN]) {
  constexpr int kBlockBytes = T == DType::kQ8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);
  constexpr int kOffset = T == DType::kQ8_0 ? -16 : -1;  // lane start per unit of sum(a)
  __m512i act[MR], start[MR];
  __m512 dx[MR];
  for (int r = 0; r < MR; ++r) {
    const int8_t* q = a.row_qs(m0 + r) + 32 * b;
    const float* d = a.row_d(m0 + r) + b;
    const int16_t* s = a.row_sums(m0 + r) + b;
    act[r] = kSingle ? _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)))
                     : _mm512_loadu_si512(q);
    if constexpr (T == DType::kQ4_0) act[r] = _mm512_shuffle_i64x2(act[r], act[r], _MM_SHUFFLE(3, 1, 2, 0));
    dx[r] = pair_ps<T>(d[0], kSingle ? 0.0f : d[1]);
    start[r] = pair_epi32<T>(kOffset * s[0], kSingle ? 0 : kOffset * s[1]);
  }
  for (int j = 0; j < kTileN; ++j) {
    __m512i codes;
    __m512 dw;
    prefetch_ahead<2 * kBlockBytes>(w[j] + b * kBlockBytes, pf);
    weight_pair<T>(w[j], b, kSingle ? b : b + 1, &codes, &dw);
    for (int r = 0; r < MR; ++r) {
      const __m512i dot = _mm512_dpbusd_epi32(start[r], codes, act[r]);
      acc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dx[r], dw), acc[r][j]);
    }
  }
}

// ---- q4_k ------------------------------------------------------------------------------------

struct Q4KRow {
  __m512i codes[4];   // 64 values each: [sub-block 2g | sub-block 2g+1], nibbles 0..15
  __m512i scales[4];  // int16 lanes matching vpmaddubsw output: sc_2g x16, sc_2g+1 x16
  __m128i mins;       // int16 m_0..m_7
  float d, dmin;
};

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline void
decode_q4_k(const BlockQ4_K& b, Q4KRow* o) {
  uint32_t u[3];
  std::memcpy(u, b.scales, sizeof(u));
  // Bytes j of each word: sc_0..3 | sc_4..7 | m_0..3 | m_4..7 (see q4_k_unpack_scales).
  const uint32_t sc_lo = u[0] & 0x3f3f3f3fu, m_lo = u[1] & 0x3f3f3f3fu;
  const uint32_t sc_hi = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
  const uint32_t m_hi = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
  const __m256i sm = _mm256_cvtepu8_epi16(_mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi),
                                                         static_cast<int>(m_lo), static_cast<int>(m_hi)));
  o->mins = _mm256_extracti128_si256(sm, 1);
  const __m512i sm512 = _mm512_castsi256_si512(sm);
  for (int g = 0; g < 4; ++g) {
    const __m512i idx = _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(2 * g)),
                                           _mm256_set1_epi16(static_cast<short>(2 * g + 1)), 1);
    o->scales[g] = _mm512_permutexvar_epi16(idx, sm512);
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * g));
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1);
    o->codes[g] = _mm512_and_si512(both, _mm512_set1_epi8(0x0F));
  }
  o->d = _cvtsh_ss(b.d);
  o->dmin = _cvtsh_ss(b.dmin);
}

template <int MR>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline void
q4_k_step(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t sb, int64_t pf,
          __m512 (&acc)[MR][kTileN]) {
  for (int j = 0; j < kTileN; ++j) {
    Q4KRow wr;
    prefetch_ahead<sizeof(BlockQ4_K)>(reinterpret_cast<const BlockQ4_K*>(w[j]) + sb, pf);
    decode_q4_k(reinterpret_cast<const BlockQ4_K*>(w[j])[sb], &wr);
    for (int r = 0; r < MR; ++r) {
      const int8_t* q = a.row_qs(m0 + r) + 256 * sb;
      __m512i isum = _mm512_setzero_si512();
      for (int g = 0; g < 4; ++g) {
        const __m512i p = _mm512_maddubs_epi16(wr.codes[g], _mm512_loadu_si512(q + 64 * g));
        isum = _mm512_dpwssd_epi32(isum, p, wr.scales[g]);
      }
      const __m128i bs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.row_sums(m0 + r) + 8 * sb));
      const __m128 mins = _mm_cvtepi32_ps(_mm_madd_epi16(wr.mins, bs));
      const float dx = a.row_d(m0 + r)[sb];
      acc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(wr.d * dx), acc[r][j]);
      acc[r][j] = _mm512_fnmadd_ps(_mm512_zextps128_ps512(mins), _mm512_set1_ps(wr.dmin * dx), acc[r][j]);
    }
  }
}

// ---- q6_k ------------------------------------------------------------------------------------

struct Q6KRow {
  __m512i codes[4];   // values 64c..64c+63 of the block, 0..63
  __m512i scales[4];  // int16 lanes: sc_4c x8, sc_4c+1 x8, sc_4c+2 x8, sc_4c+3 x8
  __m256i sc16;       // int16 sc_0..sc_15
  float d;
};

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline void
decode_q6_k(const BlockQ6_K& b, Q6KRow* o) {
  const __m512i low4 = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30);
  for (int h = 0; h < 2; ++h) {
    // Values 0..63 of a half: low nibbles of ql[0..63]; high 2 bits from qh[l] bits 0-1
    // (values l < 32) or 2-3 (32 + l). Values 64..127: high nibbles, qh bits 4-5 / 6-7.
    const __m512i ql = _mm512_loadu_si512(b.ql + 64 * h);
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
    const __m512i qh2 = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
    o->codes[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                      _mm512_and_si512(_mm512_slli_epi16(qh2, 4), bits45));
    o->codes[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                          _mm512_and_si512(qh2, bits45));
  }
  o->sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
  const __m512i sc512 = _mm512_castsi256_si512(o->sc16);
  for (int c = 0; c < 4; ++c) {
    // int16 lane l of vpmaddubsw output covers values 2l, 2l+1: sub-block 4c + l / 8.
    const __m512i idx = _mm512_add_epi16(_mm512_set1_epi16(static_cast<short>(4 * c)),
                                         _mm512_srli_epi16(_mm512_set_epi16(
                                             31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                             15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 3));
    o->scales[c] = _mm512_permutexvar_epi16(idx, sc512);
  }
  o->d = _cvtsh_ss(b.d);
}

template <int MR>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) inline void
q6_k_step(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t sb, int64_t pf,
          __m512 (&acc)[MR][kTileN]) {
  for (int j = 0; j < kTileN; ++j) {
    Q6KRow wr;
    prefetch_ahead<sizeof(BlockQ6_K)>(reinterpret_cast<const BlockQ6_K*>(w[j]) + sb, pf);
    decode_q6_k(reinterpret_cast<const BlockQ6_K*>(w[j])[sb], &wr);
    for (int r = 0; r < MR; ++r) {
      const int8_t* q = a.row_qs(m0 + r) + 256 * sb;
      __m512i isum = _mm512_setzero_si512();
      for (int c = 0; c < 4; ++c) {
        const __m512i p = _mm512_maddubs_epi16(wr.codes[c], _mm512_loadu_si512(q + 64 * c));
        isum = _mm512_dpwssd_epi32(isum, p, wr.scales[c]);
      }
      const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_sums(m0 + r) + 16 * sb));
      const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(wr.sc16, bs), 5);  // 32 sum sc*sum(a)
      isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(offset));
      const float dx = a.row_d(m0 + r)[sb];
      acc[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(wr.d * dx), acc[r][j]);
    }
  }
}

// ---- tiles -----------------------------------------------------------------------------------

template <DType T, int MR>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))) void
tile(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t pf, float* out) {
  __m512 acc[MR][kTileN];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < kTileN; ++j) acc[r][j] = _mm512_setzero_ps();
  if constexpr (T == DType::kQ8_0 || T == DType::kQ4_0) {
    const int64_t nb = a.k / 32;
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) pair_step<T, MR, false>(a, m0, w, b, pf, acc);
    if (b < nb) pair_step<T, MR, true>(a, m0, w, b, pf, acc);
  } else {
    for (int64_t sb = 0; sb < a.k / 256; ++sb) {
      if constexpr (T == DType::kQ4_K) q4_k_step<MR>(a, m0, w, sb, pf, acc);
      else q6_k_step<MR>(a, m0, w, sb, pf, acc);
    }
  }
  for (int r = 0; r < MR; ++r)
    _mm_storeu_ps(out + r * kTileN, hsum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
}

template <DType T>
void tile_mr(const QuantizedRows& a, int64_t m0, int mr, const uint8_t* const* w, int64_t pf, float* out) {
  switch (mr) {
    case 1: tile<T, 1>(a, m0, w, pf, out); return;
    case 2: tile<T, 2>(a, m0, w, pf, out); return;
    case 3: tile<T, 3>(a, m0, w, pf, out); return;
    default: tile<T, 4>(a, m0, w, pf, out); return;
  }
}

void tile_any(DType t, const QuantizedRows& a, int64_t m0, int mr, const uint8_t* const* w,
              int64_t pf, float* out) {
  switch (t) {
    case DType::kQ8_0: tile_mr<DType::kQ8_0>(a, m0, mr, w, pf, out); return;
    case DType::kQ4_0: tile_mr<DType::kQ4_0>(a, m0, mr, w, pf, out); return;
    case DType::kQ4_K: tile_mr<DType::kQ4_K>(a, m0, mr, w, pf, out); return;
    default: tile_mr<DType::kQ6_K>(a, m0, mr, w, pf, out); return;
  }
}

}  // namespace

const QuantKernels* quant_kernels_avx512() {
  static const QuantKernels k{"avx512_vnni", quantize_row, tile_any};
  return &k;
}

}  // namespace mistralrs::cpu

#else

namespace mistralrs::cpu {
const QuantKernels* quant_kernels_avx512() { return nullptr; }
}  // namespace mistralrs::cpu

#endif
