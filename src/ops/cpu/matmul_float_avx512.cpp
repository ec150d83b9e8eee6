// AVX-512 (F/BW/VL/DQ + F16C) f32-FMA micro-tiles for matmul: 16 lanes, masked k tail.
// Each k step loads kTileN weight vectors (converted from f16 / bf16 in registers) and mr
// x vectors and issues mr * kTileN FMAs into independent accumulators. A single x row
// (decode) has only 4 accumulators, fewer than FMA latency x throughput on most cores, so
// that case runs two k steps per iteration into two accumulator sets.
#include "core/dtype.h"
#include "ops/cpu/matmul_kernels.h"

#if defined(__x86_64__)
#include "ops/cpu/matmul_simd.h"

namespace mistralrs::cpu {

namespace {

template <DType T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c"))) inline __m512
widen(__m256i h) {
  if constexpr (T == DType::kF16) return _mm512_cvtph_ps(h);
  else return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// 16 weights from p[i..i+16) as f32.
template <DType T, class W>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c"))) inline __m512
load_w(const W* p, int64_t i) {
  if constexpr (T == DType::kF32) return _mm512_loadu_ps(p + i);
  else return widen<T>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
}

template <DType T, class W>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c"))) inline __m512
load_w_masked(const W* p, int64_t i, __mmask16 m) {
  if constexpr (T == DType::kF32) return _mm512_maskz_loadu_ps(m, p + i);
  else return widen<T>(_mm256_maskz_loadu_epi16(m, p + i));
}

// acc[u][r][j] over k steps of 16; U accumulator sets alternate between steps.
template <int MR, int U, DType T, class W>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c"))) void
tile(const float* x, int64_t ldx, const W* const* w, int64_t kc, int64_t prefetch, float* out) {
  __m512 acc[U][MR][kTileN];
  for (int u = 0; u < U; ++u)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < kTileN; ++j) acc[u][r][j] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 * U <= kc; i += 16 * U) {
    for (int j = 0; j < kTileN; ++j) prefetch_ahead<16 * U * sizeof(W)>(w[j] + i, prefetch);
    for (int u = 0; u < U; ++u) {
      __m512 wv[kTileN];
      for (int j = 0; j < kTileN; ++j) wv[j] = load_w<T>(w[j], i + 16 * u);
      for (int r = 0; r < MR; ++r) {
        const __m512 xv = _mm512_loadu_ps(x + r * ldx + i + 16 * u);
        for (int j = 0; j < kTileN; ++j) acc[u][r][j] = _mm512_fmadd_ps(xv, wv[j], acc[u][r][j]);
      }
    }
  }
  for (; i < kc; i += 16) {  // at most U - 1 full steps, then the masked tail
    const __mmask16 m = kc - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (kc - i)) - 1u);
    __m512 wv[kTileN];
    for (int j = 0; j < kTileN; ++j) wv[j] = load_w_masked<T>(w[j], i, m);
    for (int r = 0; r < MR; ++r) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + r * ldx + i);
      for (int j = 0; j < kTileN; ++j) acc[0][r][j] = _mm512_fmadd_ps(xv, wv[j], acc[0][r][j]);
    }
  }
  for (int u = 1; u < U; ++u)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < kTileN; ++j) acc[0][r][j] = _mm512_add_ps(acc[0][r][j], acc[u][r][j]);
  for (int r = 0; r < MR; ++r)
    _mm_storeu_ps(out + r * kTileN, hsum4(acc[0][r][0], acc[0][r][1], acc[0][r][2], acc[0][r][3]));
}

template <DType T, class W>
void tile_any(const float* x, int64_t ldx, int mr, const W* const* w, int64_t kc, int64_t pf,
              float* out) {
  switch (mr) {
    case 1: tile<1, 2, T>(x, ldx, w, kc, pf, out); return;
    case 2: tile<2, 1, T>(x, ldx, w, kc, pf, out); return;
    case 3: tile<3, 1, T>(x, ldx, w, kc, pf, out); return;
    default: tile<4, 1, T>(x, ldx, w, kc, pf, out); return;
  }
}

void tile_f32(const float* x, int64_t ldx, int mr, const float* const* w, int64_t kc,
              int64_t prefetch, float* out) {
  tile_any<DType::kF32>(x, ldx, mr, w, kc, prefetch, out);
}
void tile_f16(const float* x, int64_t ldx, int mr, const uint16_t* const* w, int64_t kc,
              int64_t prefetch, float* out) {
  tile_any<DType::kF16>(x, ldx, mr, w, kc, prefetch, out);
}
void tile_bf16(const float* x, int64_t ldx, int mr, const uint16_t* const* w, int64_t kc,
               int64_t prefetch, float* out) {
  tile_any<DType::kBF16>(x, ldx, mr, w, kc, prefetch, out);
}

template <DType T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c"))) void
half_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, load_w<T>(src, i));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(dst + i, m, load_w_masked<T>(src, i, m));
  }
}

}  // namespace

const FloatKernels* float_kernels_avx512() {
  static const FloatKernels k{"avx512", tile_f32, tile_f16, tile_bf16, half_to_f32<DType::kF16>,
                              half_to_f32<DType::kBF16>};
  return &k;
}

}  // namespace mistralrs::cpu

#else

namespace mistralrs::cpu {
const FloatKernels* float_kernels_avx512() { return nullptr; }
}  // namespace mistralrs::cpu

#endif
