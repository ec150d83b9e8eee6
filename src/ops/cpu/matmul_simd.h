// x86 SIMD pieces shared by the matmul kernel files. Every function carries the target
// attribute of the narrowest instruction set it needs, so it inlines into any caller
// compiled for that set or a superset (and nothing here runs without one).
#pragma once
#if defined(__x86_64__)
// GCC 12 warns inside its own intrinsic headers (the "undefined" vectors they start from
// are self-initialised) once they are inlined into a caller; the warning is about the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

namespace mistralrs::cpu {

// [sum a, sum b, sum c, sum d]: pairwise adds within 128-bit lanes, then across lanes.
__attribute__((target("avx512f,avx512dq"))) inline __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
  const __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),
                                    _mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(abcd), _mm512_extractf32x8_ps(abcd, 1));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// [sum a, sum b, sum c, sum d] of 8-lane vectors.
__attribute__((target("avx2"))) inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

// Software prefetch of weight rows streamed from DRAM. A tile reads kTileN rows side by
// side, each slower than one sequential stream, and the hardware prefetchers alone do not
// run far enough ahead of them. Callers pass `ahead` = kPrefetchTiles * kTileN rows of
// bytes, so the lines prefetched are the same spot of a tile to come: one tile is
// thousands of cycles of lead at decode speed, several DRAM latencies. The hint is T1 (to
// L2, not L1): on the development machine (Zen 4, 1 thread, weights streamed from DRAM)
// T0 reached 13-19 GB/s and T1 18-26 GB/s across the weight types, and 2 tiles ahead was
// no better than 1.
// Touches the lines of [p + ahead, p + ahead + kBytes); ahead == 0 turns it off.
template <int kBytes>
inline void prefetch_ahead(const void* p, int64_t ahead) {
  if (ahead == 0) return;
  for (int o = 0; o < kBytes; o += 64) _mm_prefetch(static_cast<const char*>(p) + ahead + o, _MM_HINT_T1);
}

}  // namespace mistralrs::cpu

#endif
