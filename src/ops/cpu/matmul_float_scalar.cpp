// Portable f32-FMA micro-tiles: plain loops over 8 independent lanes per dot product, so
// that the compiler can keep them in SSE registers without reassociating (no -ffast-math).
#include "core/dtype.h"
#include "ops/cpu/matmul_kernels.h"

namespace mistralrs::cpu {

namespace {

constexpr int kLanes = 8;

struct F16Bits {
  static float convert(uint16_t h) { return fp16_to_fp32(h); }
};
struct BF16Bits {
  static float convert(uint16_t h) { return bf16_to_fp32(h); }
};
struct F32Elem {
  static float convert(float v) { return v; }
};

// acc[r][j][l] sums lane l of dot(x_r, w_j); converted weights are computed once per k step.
template <class Conv, class W>
void tile(const float* x, int64_t ldx, int mr, const W* const* w, int64_t kc, float* out) {
  float acc[kTileM][kTileN][kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= kc; i += kLanes) {
    float wv[kTileN][kLanes];
    for (int j = 0; j < kTileN; ++j)
      for (int l = 0; l < kLanes; ++l) wv[j][l] = Conv::convert(w[j][i + l]);
    for (int r = 0; r < mr; ++r)
      for (int j = 0; j < kTileN; ++j)
        for (int l = 0; l < kLanes; ++l) acc[r][j][l] += x[r * ldx + i + l] * wv[j][l];
  }
  for (; i < kc; ++i)
    for (int r = 0; r < mr; ++r)
      for (int j = 0; j < kTileN; ++j) acc[r][j][0] += x[r * ldx + i] * Conv::convert(w[j][i]);
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < kTileN; ++j) {
      const float* s = acc[r][j];
      out[r * kTileN + j] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
}

// No prefetch here: the portable path has no portable prefetch to call.
void tile_f32(const float* x, int64_t ldx, int mr, const float* const* w, int64_t kc,
              int64_t /*prefetch*/, float* out) {
  tile<F32Elem>(x, ldx, mr, w, kc, out);
}
void tile_f16(const float* x, int64_t ldx, int mr, const uint16_t* const* w, int64_t kc,
              int64_t /*prefetch*/, float* out) {
  tile<F16Bits>(x, ldx, mr, w, kc, out);
}
void tile_bf16(const float* x, int64_t ldx, int mr, const uint16_t* const* w, int64_t kc,
               int64_t /*prefetch*/, float* out) {
  tile<BF16Bits>(x, ldx, mr, w, kc, out);
}
void f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}
void bf16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(src[i]);
}

}  // namespace

const FloatKernels& float_kernels_scalar() {
  static const FloatKernels k{"scalar", tile_f32, tile_f16, tile_bf16, f16_to_f32, bf16_to_f32};
  return k;
}

}  // namespace mistralrs::cpu
