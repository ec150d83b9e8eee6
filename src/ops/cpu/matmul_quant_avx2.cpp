// AVX2 integer matmul kernels (no VNNI): vpmaddubsw (u8 x s8 -> pairs summed in int16)
// then vpmaddwd against ones or the k-quant scales. One block of 32 values per 256-bit
// vector. Products stay below int16 saturation: q8_0 uses |w| x sign(a, w) (128 * 127 * 2
// < 32767, exact also for w = -128 because activations are within [-127, 127]); the other
// codes are at most 63 (q6_k). Offsets as in matmul_quant_avx512.cpp.
#include <cstring>

#include "core/quant.h"
#include "ops/cpu/matmul_kernels.h"

#if defined(__x86_64__)
#include "ops/cpu/matmul_simd.h"

namespace mistralrs::cpu {

namespace {

__attribute__((target("avx2,fma,f16c"))) inline int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx2,fma,f16c"))) inline float hmax_ps(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// x[0, 32 * n) -> qs with scale amax / 127; returns the scale, writes per-16 sums.
template <int N>
__attribute__((target("avx2,fma,f16c"))) inline float quantize_span(const float* x, int8_t* qs,
                                                                     int32_t* sums16) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 amax = _mm256_setzero_ps();
  for (int i = 0; i < 4 * N; ++i) amax = _mm256_max_ps(amax, _mm256_and_ps(abs_mask, _mm256_loadu_ps(x + 8 * i)));
  const float m = hmax_ps(amax);
  const __m256 id = _mm256_set1_ps(m > 0.0f ? 127.0f / m : 0.0f);
  for (int c = 0; c < N; ++c) {
    __m256i q[4];
    for (int i = 0; i < 4; ++i) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * c + 8 * i), id));
    sums16[2 * c] = hsum_epi32(_mm256_add_epi32(q[0], q[1]));
    sums16[2 * c + 1] = hsum_epi32(_mm256_add_epi32(q[2], q[3]));
    // packs work within 128-bit lanes; the permute restores element order.
    const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    const __m256i ordered = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 32 * c), ordered);
  }
  return m / 127.0f;
}

__attribute__((target("avx2,fma,f16c"))) void quantize_row(const float* x, int64_t k, DType w_type,
                                                             int8_t* qs, float* d, int16_t* sums) {
  int block, group;
  quantized_layout(w_type, &block, &group);
  int32_t s16[16];
  for (int64_t b = 0; b < k / block; ++b) {
    const int64_t i = b * block;
    if (block == 32) {
      d[b] = quantize_span<1>(x + i, qs + i, s16);
      sums[b] = static_cast<int16_t>(s16[0] + s16[1]);
    } else {
      d[b] = quantize_span<8>(x + i, qs + i, s16);
      for (int g = 0; g < 256 / group; ++g)
        sums[b * (256 / group) + g] = static_cast<int16_t>(group == 16 ? s16[g] : s16[2 * g] + s16[2 * g + 1]);
    }
  }
}

// ---- q8_0 / q4_0 ---------------------------------------------------------------------------

template <DType T, int MR>
__attribute__((target("avx2,fma,f16c"))) inline void
block_step(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t b, int64_t pf,
           __m256 (&acc)[MR][kTileN]) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int j = 0; j < kTileN; ++j) {
    __m256i codes;
    float dw;
    if constexpr (T == DType::kQ8_0) {
      const BlockQ8_0& blk = reinterpret_cast<const BlockQ8_0*>(w[j])[b];
      prefetch_ahead<sizeof(BlockQ8_0)>(&blk, pf);
      codes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
      dw = _cvtsh_ss(blk.d);
    } else {
      const BlockQ4_0& blk = reinterpret_cast<const BlockQ4_0*>(w[j])[b];
      prefetch_ahead<sizeof(BlockQ4_0)>(&blk, pf);
      const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
      codes = _mm256_and_si256(_mm256_setr_m128i(raw, _mm_srli_epi16(raw, 4)), _mm256_set1_epi8(0x0F));
      dw = _cvtsh_ss(blk.d);
    }
    const __m256i abs_codes = T == DType::kQ8_0 ? _mm256_abs_epi8(codes) : codes;
    for (int r = 0; r < MR; ++r) {
      const __m256i act = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_qs(m0 + r) + 32 * b));
      __m256i dot;
      if constexpr (T == DType::kQ8_0) {
        dot = _mm256_madd_epi16(_mm256_maddubs_epi16(abs_codes, _mm256_sign_epi8(act, codes)), ones);
      } else {  // nibble = w + 8: subtract 8 * sum(a), spread as -sum(a) over the 8 lanes
        dot = _mm256_madd_epi16(_mm256_maddubs_epi16(codes, act), ones);
        dot = _mm256_sub_epi32(dot, _mm256_set1_epi32(a.row_sums(m0 + r)[b]));
      }
      const float s = dw * a.row_d(m0 + r)[b];
      acc[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(s), acc[r][j]);
    }
  }
}

// ---- q4_k / q6_k -----------------------------------------------------------------------------

template <int MR>
__attribute__((target("avx2,fma,f16c"))) inline void
q4_k_step(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t sb, int64_t pf,
          __m256 (&acc)[MR][kTileN]) {
  for (int j = 0; j < kTileN; ++j) {
    const BlockQ4_K& blk = reinterpret_cast<const BlockQ4_K*>(w[j])[sb];
    prefetch_ahead<sizeof(BlockQ4_K)>(&blk, pf);
    uint8_t sc[8], mn[8];
    q4_k_unpack_scales(blk.scales, sc, mn);
    __m256i isum[MR];
    for (int r = 0; r < MR; ++r) isum[r] = _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * g));
      const __m256i lo = _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F));
      const __m256i s_lo = _mm256_set1_epi16(sc[2 * g]), s_hi = _mm256_set1_epi16(sc[2 * g + 1]);
      for (int r = 0; r < MR; ++r) {
        const int8_t* x = a.row_qs(m0 + r) + 256 * sb + 64 * g;
        const __m256i p_lo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
        const __m256i p_hi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32)));
        isum[r] = _mm256_add_epi32(isum[r], _mm256_add_epi32(_mm256_madd_epi16(p_lo, s_lo),
                                                             _mm256_madd_epi16(p_hi, s_hi)));
      }
    }
    uint64_t mins8;
    std::memcpy(&mins8, mn, 8);
    const __m128i mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(mins8)));
    const float d = _cvtsh_ss(blk.d), dmin = _cvtsh_ss(blk.dmin);
    for (int r = 0; r < MR; ++r) {
      const __m128i bs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.row_sums(m0 + r) + 8 * sb));
      const __m256 mterm = _mm256_zextps128_ps256(_mm_cvtepi32_ps(_mm_madd_epi16(mins, bs)));
      const float dx = a.row_d(m0 + r)[sb];
      acc[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[r]), _mm256_set1_ps(d * dx), acc[r][j]);
      acc[r][j] = _mm256_fnmadd_ps(mterm, _mm256_set1_ps(dmin * dx), acc[r][j]);
    }
  }
}

// The 32 values 128h + 32t .. +31 of a q6_k block as codes 0..63 (see quant.cpp).
__attribute__((target("avx2,fma,f16c"))) inline __m256i q6_k_codes(const BlockQ6_K& b, int h, int t) {
  const __m256i ql = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32 * (t & 1)));
  const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
  const __m256i low = _mm256_and_si256(t < 2 ? ql : _mm256_srli_epi16(ql, 4), _mm256_set1_epi8(0x0F));
  __m256i high;  // bits 2t, 2t+1 of qh moved to bits 4, 5
  switch (t) {
    case 0: high = _mm256_slli_epi16(qh, 4); break;
    case 1: high = _mm256_slli_epi16(qh, 2); break;
    case 2: high = qh; break;
    default: high = _mm256_srli_epi16(qh, 2); break;
  }
  return _mm256_or_si256(low, _mm256_and_si256(high, _mm256_set1_epi8(0x30)));
}

template <int MR>
__attribute__((target("avx2,fma,f16c"))) inline void
q6_k_step(const QuantizedRows& a, int64_t m0, const uint8_t* const* w, int64_t sb, int64_t pf,
          __m256 (&acc)[MR][kTileN]) {
  for (int j = 0; j < kTileN; ++j) {
    const BlockQ6_K& blk = reinterpret_cast<const BlockQ6_K*>(w[j])[sb];
    prefetch_ahead<sizeof(BlockQ6_K)>(&blk, pf);
    __m256i isum[MR];
    for (int r = 0; r < MR; ++r) isum[r] = _mm256_setzero_si256();
    for (int c = 0; c < 8; ++c) {  // 32 values: sub-blocks 2c, 2c+1
      const __m256i codes = q6_k_codes(blk, c / 4, c % 4);
      const __m256i scale = _mm256_setr_m128i(_mm_set1_epi16(blk.scales[2 * c]), _mm_set1_epi16(blk.scales[2 * c + 1]));
      for (int r = 0; r < MR; ++r) {
        const __m256i act = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_qs(m0 + r) + 256 * sb + 32 * c));
        isum[r] = _mm256_add_epi32(isum[r], _mm256_madd_epi16(_mm256_maddubs_epi16(codes, act), scale));
      }
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales)));
    const float d = _cvtsh_ss(blk.d);
    for (int r = 0; r < MR; ++r) {
      const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.row_sums(m0 + r) + 16 * sb));
      const __m256i v = _mm256_sub_epi32(isum[r], _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
      acc[r][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(d * a.row_d(m0 + r)[sb]), acc[r][j]);
    }
  }
}

// ---- tiles -----------------------------------------------------------------------------------

template <DType T, int MR>
__attribute__((target("avx2,fma,f16c"))) void tile(const QuantizedRows& a, int64_t m0,
                                                     const uint8_t* const* w, int64_t pf, float* out) {
  __m256 acc[MR][kTileN];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < kTileN; ++j) acc[r][j] = _mm256_setzero_ps();
  if constexpr (T == DType::kQ8_0 || T == DType::kQ4_0) {
    for (int64_t b = 0; b < a.k / 32; ++b) block_step<T, MR>(a, m0, w, b, pf, acc);
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

const QuantKernels* quant_kernels_avx2() {
  static const QuantKernels k{"avx2", quantize_row, tile_any};
  return &k;
}

}  // namespace mistralrs::cpu

#else

namespace mistralrs::cpu {
const QuantKernels* quant_kernels_avx2() { return nullptr; }
}  // namespace mistralrs::cpu

#endif
