// AVX2 + FMA + F16C f32-FMA micro-tiles for matmul: 8 lanes; the k tail (< 8) runs as a
// scalar loop added after the horizontal sums. Structure as in matmul_float_avx512.cpp.
#include "core/dtype.h"
#include "ops/cpu/matmul_kernels.h"

#if defined(__x86_64__)
#include "ops/cpu/matmul_simd.h"

namespace mistralrs::cpu {

namespace {

// 8 weights from p[i..i+8) as f32.
template <DType T, class W>
__attribute__((target("avx2,fma,f16c"))) inline __m256 load_w(const W* p, int64_t i) {
  if constexpr (T == DType::kF32) {
    return _mm256_loadu_ps(p + i);
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if constexpr (T == DType::kF16) return _mm256_cvtph_ps(h);
    else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

template <DType T, class W>
inline float scalar_w(const W* p, int64_t i) {
  if constexpr (T == DType::kF32) return p[i];
  else if constexpr (T == DType::kF16) return fp16_to_fp32(p[i]);
  else return bf16_to_fp32(p[i]);
}

template <int MR, int U, DType T, class W>
__attribute__((target("avx2,fma,f16c"))) void tile(const float* x, int64_t ldx, const W* const* w,
                                                     int64_t kc, int64_t prefetch, float* out) {
  __m256 acc[U][MR][kTileN];
  for (int u = 0; u < U; ++u)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < kTileN; ++j) acc[u][r][j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 * U <= kc; i += 8 * U) {
    for (int j = 0; j < kTileN; ++j) prefetch_ahead<8 * U * sizeof(W)>(w[j] + i, prefetch);
    for (int u = 0; u < U; ++u) {
      __m256 wv[kTileN];
      for (int j = 0; j < kTileN; ++j) wv[j] = load_w<T>(w[j], i + 8 * u);
      for (int r = 0; r < MR; ++r) {
        const __m256 xv = _mm256_loadu_ps(x + r * ldx + i + 8 * u);
        for (int j = 0; j < kTileN; ++j) acc[u][r][j] = _mm256_fmadd_ps(xv, wv[j], acc[u][r][j]);
      }
    }
  }
  for (; i + 8 <= kc; i += 8) {
    __m256 wv[kTileN];
    for (int j = 0; j < kTileN; ++j) wv[j] = load_w<T>(w[j], i);
    for (int r = 0; r < MR; ++r) {
      const __m256 xv = _mm256_loadu_ps(x + r * ldx + i);
      for (int j = 0; j < kTileN; ++j) acc[0][r][j] = _mm256_fmadd_ps(xv, wv[j], acc[0][r][j]);
    }
  }
  for (int u = 1; u < U; ++u)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < kTileN; ++j) acc[0][r][j] = _mm256_add_ps(acc[0][r][j], acc[u][r][j]);
  for (int r = 0; r < MR; ++r) {
    _mm_storeu_ps(out + r * kTileN, hsum4(acc[0][r][0], acc[0][r][1], acc[0][r][2], acc[0][r][3]));
    for (int64_t t = i; t < kc; ++t)
      for (int j = 0; j < kTileN; ++j) out[r * kTileN + j] += x[r * ldx + t] * scalar_w<T>(w[j], t);
  }
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
__attribute__((target("avx2,fma,f16c"))) void half_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_w<T>(src, i));
  for (; i < n; ++i) dst[i] = scalar_w<T>(src, i);
}

}  // namespace

const FloatKernels* float_kernels_avx2() {
  static const FloatKernels k{"avx2", tile_f32, tile_f16, tile_bf16, half_to_f32<DType::kF16>,
                              half_to_f32<DType::kBF16>};
  return &k;
}

}  // namespace mistralrs::cpu

#else

namespace mistralrs::cpu {
const FloatKernels* float_kernels_avx2() { return nullptr; }
}  // namespace mistralrs::cpu

#endif
