// Loop nest of the f32-FMA matmul path (w in f32, f16, bf16, or a block type dequantized
// tile by tile). Per thread, for its columns [n0, n1):
//   for each panel of kMc rows of x          (x panel: kMc x kKc f32 = 256 KiB, stays in L2)
//     for each span of kKc along k
//       for each tile of kTileN rows of w    (w tile: 4 x 512 f32 = 8 KiB, stays in L1)
//         convert the tile to f32 once if it is not f32
//         for each tile of kTileM rows of x: the kernel, then add into y
// Decode-sized calls (m <= kTileM) with f32/f16/bf16 w skip the blocking: each row of w is
// streamed once over all of k and converted inside the kernel. Larger m copies even f32
// tiles: rows of w (and of x) k floats apart share L1 sets when k is a multiple of 1024, so
// reading 4 rows of each in place thrashes an 8-way L1; the contiguous copy does not.
#include <algorithm>

#include "core/quant.h"
#include "ops/cpu/matmul_kernels.h"

namespace mistralrs::cpu {

namespace {

constexpr int64_t kKc = 512;  // a multiple of every block size (32, 256)
constexpr int64_t kMc = 128;

bool is_half(DType t) { return t == DType::kF16 || t == DType::kBF16; }

// Converts kc elements of a weight row starting at element k0 into dst.
void row_to_f32(const FloatKernels& kern, DType t, const uint8_t* row, int64_t k0, int64_t kc,
                float* dst) {
  const uint8_t* src = row + dtype_bytes(t, k0);
  if (t == DType::kF32) std::copy_n(reinterpret_cast<const float*>(src), kc, dst);
  else if (t == DType::kF16) kern.f16_to_f32(reinterpret_cast<const uint16_t*>(src), dst, kc);
  else if (t == DType::kBF16) kern.bf16_to_f32(reinterpret_cast<const uint16_t*>(src), dst, kc);
  else dequantize_row(t, src, dst, kc);
}

// One micro-tile on rows of w as stored (f32, f16 or bf16), starting at element k0.
// Prefetches the next tile (kTileN rows on) while streaming this one.
void direct_tile(const FloatKernels& kern, DType t, const float* x, int64_t ldx, int mr,
                 const uint8_t* const* rows, int64_t k0, int64_t kc, int64_t prefetch, float* out) {
  if (t == DType::kF32) {
    const float* w[kTileN];
    for (int j = 0; j < kTileN; ++j) w[j] = reinterpret_cast<const float*>(rows[j]) + k0;
    kern.tile_f32(x, ldx, mr, w, kc, prefetch, out);
    return;
  }
  const uint16_t* w[kTileN];
  for (int j = 0; j < kTileN; ++j) w[j] = reinterpret_cast<const uint16_t*>(rows[j]) + k0;
  (t == DType::kF16 ? kern.tile_f16 : kern.tile_bf16)(x, ldx, mr, w, kc, prefetch, out);
}

// y[m0:m0+mr, n:n+nr] (+)= out; the first k span assigns.
void store_tile(const MatmulArgs& a, int64_t m0, int mr, int64_t n, int nr, bool first,
                const float* out) {
  for (int r = 0; r < mr; ++r) {
    float* y = a.y + (m0 + r) * a.ldy + n;
    for (int j = 0; j < nr; ++j) y[j] = first ? out[r * kTileN + j] : y[j] + out[r * kTileN + j];
  }
}

}  // namespace

void matmul_float_range(const FloatKernels& kern, const MatmulArgs& a, int64_t n0, int64_t n1) {
  const DType t = a.w_type;
  const bool direct = (t == DType::kF32 || is_half(t)) && a.m <= kTileM;
  const int64_t kc_max = direct ? a.k : kKc;
  alignas(64) float scratch[kTileN * kKc];
  for (int64_t m0 = 0; m0 < a.m; m0 += kMc) {
    const int64_t m1 = std::min(a.m, m0 + kMc);
    for (int64_t k0 = 0; k0 < a.k; k0 += kc_max) {
      const int64_t kc = std::min(kc_max, a.k - k0);
      for (int64_t n = n0; n < n1; n += kTileN) {
        const int nr = static_cast<int>(std::min<int64_t>(kTileN, n1 - n));
        const uint8_t* rows[kTileN];  // a tail tile repeats its last row; extra sums are dropped
        for (int j = 0; j < kTileN; ++j)
          rows[j] = static_cast<const uint8_t*>(a.w) + (n + std::min(j, nr - 1)) * a.w_row_bytes;
        const float* converted[kTileN];
        if (!direct) {
          for (int j = 0; j < nr; ++j) row_to_f32(kern, t, rows[j], k0, kc, scratch + j * kc);
          for (int j = 0; j < kTileN; ++j) converted[j] = scratch + std::min(j, nr - 1) * kc;
        }
        for (int64_t m = m0; m < m1; m += kTileM) {
          const int mr = static_cast<int>(std::min<int64_t>(kTileM, m1 - m));
          const float* x = a.x + m * a.ldx + k0;
          float out[kTileM * kTileN];
          if (direct) direct_tile(kern, t, x, a.ldx, mr, rows, k0, kc, kPrefetchTiles * kTileN * a.w_row_bytes, out);
          else kern.tile_f32(x, a.ldx, mr, converted, kc, 0, out);
          store_tile(a, m, mr, n, nr, k0 == 0, out);
        }
      }
    }
  }
}

}  // namespace mistralrs::cpu
