// GGUF block dequantization (exact, as the format defines it) and reference quantizers.
//
// Quantizers: plain round-to-nearest with one scale per block or sub-block. They differ
// from ggml's reference code in one respect: every f16 scale is rounded *up* to the next
// representable half before the quants are computed from it, so no value falls outside
// the block's grid and the error bounds below hold exactly (tests check them):
//   q8_0: |x - x'| <= d/2                      (d = f16 scale >= amax/127)
//   q4_0: |x - x'| <= |d|/2, or |d| for x/d in (7.5, 8] (q clamps at 15; d = -max/8)
//   q4_k: |x - x'| <= d*sc_j/2 in sub-block j  (grid of 16 steps spanning [min, max])
//   q6_k: |x - x'| <= d*sc_s/2 in sub-block s  (sc_s*d >= amax_s/31)
#include "core/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mistralrs {

static_assert(sizeof(BlockQ8_0) == 34, "q8_0 block must be 34 bytes as in GGUF");
static_assert(sizeof(BlockQ4_0) == 18, "q4_0 block must be 18 bytes as in GGUF");
static_assert(sizeof(BlockQ4_K) == 144, "q4_k block must be 144 bytes as in GGUF");
static_assert(sizeof(BlockQ6_K) == 210, "q6_k block must be 210 bytes as in GGUF");

namespace {

// Where element e (0..255) of a q4_k block lives: 4 groups of 64 values share 32 bytes of
// qs; the first 32 values of group g are the low nibbles of qs[32g..], the next 32 the
// high nibbles. Sub-block (scale/min index) = e / 32.
struct Q4KPos {
  int byte, shift;
};
Q4KPos q4_k_pos(int e) {
  const int g = e / 64, r = e % 64;
  return {32 * g + r % 32, 4 * (r / 32)};
}

// Where element e (0..255) of a q6_k block lives. Each half of 128 values has 64 bytes of
// ql and 32 of qh; within a half, quarter t = p/32 and lane l = p%32 pick a nibble of ql
// (low for t < 2, high for t >= 2) and bits 2t..2t+1 of qh[l]:
//   t=0: ql[l] & 15,        qh[l] bits 0-1      t=1: ql[l+32] & 15, qh[l] bits 2-3
//   t=2: ql[l] >> 4,        qh[l] bits 4-5      t=3: ql[l+32] >> 4, qh[l] bits 6-7
// Scale index = e / 16.
struct Q6KPos {
  int ql, ql_shift, qh, qh_shift;
};
Q6KPos q6_k_pos(int e) {
  const int h = e / 128, p = e % 128, t = p / 32, l = p % 32;
  return {64 * h + l + 32 * (t & 1), 4 * (t >> 1), 32 * h + l, 2 * t};
}

// Smallest half >= v for finite v >= 0 (v <= 65504), so scales never shrink on storage.
uint16_t fp16_round_up(float v) {
  uint16_t h = fp32_to_fp16(v);
  if (fp16_to_fp32(h) < v) ++h;  // positive halves are ordered like their bit patterns
  return h;
}

float max_abs(const float* x, int n) {
  float m = 0.0f;
  for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

int clamp_round(float v, int lo, int hi) {
  return std::clamp(static_cast<int>(std::lround(v)), lo, hi);
}

// ---- dequantization ---------------------------------------------------------------------

void dequant_q8_0(const BlockQ8_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK8_0) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = d * static_cast<float>(b[i].qs[j]);
  }
}

void dequant_q4_0(const BlockQ4_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK4_0) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      y[j] = d * static_cast<float>((b[i].qs[j] & 15) - 8);
      y[j + kQK4_0 / 2] = d * static_cast<float>((b[i].qs[j] >> 4) - 8);
    }
  }
}

// Group g (64 values) reads qs[32g..32g+31]: low nibbles are sub-block 2g, high nibbles
// sub-block 2g+1; x = (d * sc) * q - (dmin * m), the products formed once per sub-block.
void dequant_q4_k(const BlockQ4_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(b[i].d), dmin = fp16_to_fp32(b[i].dmin);
    uint8_t sc[8], m[8];
    q4_k_unpack_scales(b[i].scales, sc, m);
    for (int g = 0; g < 4; ++g) {
      const uint8_t* q = b[i].qs + 32 * g;
      const float d_lo = d * sc[2 * g], m_lo = dmin * m[2 * g];
      const float d_hi = d * sc[2 * g + 1], m_hi = dmin * m[2 * g + 1];
      for (int l = 0; l < 32; ++l) {
        y[64 * g + l] = d_lo * static_cast<float>(q[l] & 15) - m_lo;
        y[64 * g + 32 + l] = d_hi * static_cast<float>(q[l] >> 4) - m_hi;
      }
    }
  }
}

// Half h (128 values) reads ql[64h..64h+63], qh[32h..32h+31]; quarter t, lane l as in
// q6_k_pos. x = (d * sc) * (q - 32) with sc the scale of the 16 values around.
void dequant_q6_k(const BlockQ6_K* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(b[i].d);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = b[i].ql + 64 * h;
      const uint8_t* qh = b[i].qh + 32 * h;
      for (int t = 0; t < 4; ++t) {
        const uint8_t* lo = ql + 32 * (t & 1);
        const int lo_shift = 4 * (t >> 1), hi_shift = 2 * t;
        for (int half = 0; half < 2; ++half) {
          const float s = d * static_cast<float>(b[i].scales[8 * h + 2 * t + half]);
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            const int q = ((lo[l] >> lo_shift) & 15) | (((qh[l] >> hi_shift) & 3) << 4);
            y[128 * h + 32 * t + l] = s * static_cast<float>(q - 32);
          }
        }
      }
    }
  }
}

// ---- quantization -----------------------------------------------------------------------

void quant_q8_0(const float* x, BlockQ8_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK8_0) {
    b[i].d = fp16_round_up(max_abs(x, kQK8_0) / 127.0f);
    const float d = fp16_to_fp32(b[i].d), id = d > 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < kQK8_0; ++j) b[i].qs[j] = static_cast<int8_t>(clamp_round(x[j] * id, -127, 127));
  }
}

// d = -max/8 where max is the value of largest magnitude, so max maps to q = 0 (-8) and the
// full range [-8, 7] is used; values at the opposite end (x/d in (7.5, 8]) clamp to 7.
void quant_q4_0(const float* x, BlockQ4_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK4_0) {
    float mx = 0.0f;
    for (int j = 0; j < kQK4_0; ++j)
      if (std::fabs(x[j]) > std::fabs(mx)) mx = x[j];
    const uint16_t mag = fp16_round_up(std::fabs(mx) / 8.0f);
    b[i].d = mx > 0.0f ? static_cast<uint16_t>(mag | 0x8000u) : mag;  // sign of -max
    const float d = fp16_to_fp32(b[i].d), id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int lo = clamp_round(x[j] * id, -8, 7) + 8, hi = clamp_round(x[j + 16] * id, -8, 7) + 8;
      b[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

// Sub-block j covers [lo_j, hi_j] with lo_j = min(0, min x) (the min term can only shift
// down). Offset o_j = dmin*m_j >= -lo_j (m rounded up), span s_j = hi_j + o_j, step
// d*sc_j >= s_j/15 (sc rounded up), so every value lies on the grid's range.
void quant_q4_k_block(const float* x, BlockQ4_K* b) {
  float lo[8], hi[8], max_neg = 0.0f;
  for (int j = 0; j < 8; ++j) {
    lo[j] = 0.0f;
    hi[j] = x[32 * j];
    for (int i = 0; i < 32; ++i) lo[j] = std::min(lo[j], x[32 * j + i]), hi[j] = std::max(hi[j], x[32 * j + i]);
    max_neg = std::max(max_neg, -lo[j]);
  }
  b->dmin = fp16_round_up(max_neg / 63.0f);
  const float dmin = fp16_to_fp32(b->dmin);
  uint8_t sc[8], m[8];
  float off[8], max_span = 0.0f;
  for (int j = 0; j < 8; ++j) {
    m[j] = dmin > 0.0f ? static_cast<uint8_t>(std::min(63.0f, std::ceil(-lo[j] / dmin))) : 0;
    off[j] = dmin * static_cast<float>(m[j]);
    max_span = std::max(max_span, hi[j] + off[j]);
  }
  b->d = fp16_round_up(max_span / (15.0f * 63.0f));
  const float d = fp16_to_fp32(b->d);
  for (int j = 0; j < 8; ++j) {
    const float span = std::max(0.0f, hi[j] + off[j]);
    sc[j] = d > 0.0f ? static_cast<uint8_t>(std::min(63.0f, std::ceil(span / (15.0f * d)))) : 0;
  }
  q4_k_pack_scales(sc, m, b->scales);
  std::memset(b->qs, 0, sizeof(b->qs));
  for (int e = 0; e < kQK_K; ++e) {
    const int j = e / 32;
    const float step = d * static_cast<float>(sc[j]);
    const int q = step > 0.0f ? clamp_round((x[e] + off[j]) / step, 0, 15) : 0;
    const Q4KPos p = q4_k_pos(e);
    b->qs[p.byte] = static_cast<uint8_t>(b->qs[p.byte] | (q << p.shift));
  }
}

// Sub-block s of 16: step_s = amax_s/31 so q - 32 in [-31, 31] never clamps; one f16 d
// per block with int8 sc_s = ceil(step_s/d) <= 127.
void quant_q6_k_block(const float* x, BlockQ6_K* b) {
  float step[16], max_step = 0.0f;
  for (int s = 0; s < 16; ++s) max_step = std::max(max_step, step[s] = max_abs(x + 16 * s, 16) / 31.0f);
  b->d = fp16_round_up(max_step / 127.0f);
  const float d = fp16_to_fp32(b->d);
  std::memset(b->ql, 0, sizeof(b->ql));
  std::memset(b->qh, 0, sizeof(b->qh));
  for (int s = 0; s < 16; ++s)
    b->scales[s] = d > 0.0f ? static_cast<int8_t>(std::min(127.0f, std::ceil(step[s] / d))) : 0;
  for (int e = 0; e < kQK_K; ++e) {
    const float st = d * static_cast<float>(b->scales[e / 16]);
    const int q = (st > 0.0f ? clamp_round(x[e] / st, -32, 31) : 0) + 32;
    const Q6KPos p = q6_k_pos(e);
    b->ql[p.ql] = static_cast<uint8_t>(b->ql[p.ql] | ((q & 15) << p.ql_shift));
    b->qh[p.qh] = static_cast<uint8_t>(b->qh[p.qh] | ((q >> 4) << p.qh_shift));
  }
}

}  // namespace

void q4_k_unpack_scales(const uint8_t* p, uint8_t* sc, uint8_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = p[j] & 63;
    m[j] = p[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>((p[j + 4] & 15) | ((p[j - 4] >> 6) << 4));
    m[j] = static_cast<uint8_t>((p[j + 4] >> 4) | ((p[j] >> 6) << 4));
  }
}

void q4_k_pack_scales(const uint8_t* sc, const uint8_t* m, uint8_t* p) {
  for (int j = 0; j < 4; ++j) {
    p[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    p[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    p[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
}

bool dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  if (n < 0 || !row_size_ok(type, n)) return false;
  const int64_t nb = n / dtype_info(type).block_elems;
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return true;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(static_cast<const uint16_t*>(src)[i]);
      return true;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(static_cast<const uint16_t*>(src)[i]);
      return true;
    case DType::kQ8_0: dequant_q8_0(static_cast<const BlockQ8_0*>(src), dst, nb); return true;
    case DType::kQ4_0: dequant_q4_0(static_cast<const BlockQ4_0*>(src), dst, nb); return true;
    case DType::kQ4_K: dequant_q4_k(static_cast<const BlockQ4_K*>(src), dst, nb); return true;
    case DType::kQ6_K: dequant_q6_k(static_cast<const BlockQ6_K*>(src), dst, nb); return true;
    default: return false;
  }
}

bool quantize_row(DType type, const float* src, void* dst, int64_t n) {
  if (n < 0 || !row_size_ok(type, n)) return false;
  const int64_t nb = n / dtype_info(type).block_elems;
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return true;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = fp32_to_fp16(src[i]);
      return true;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = fp32_to_bf16(src[i]);
      return true;
    case DType::kQ8_0: quant_q8_0(src, static_cast<BlockQ8_0*>(dst), nb); return true;
    case DType::kQ4_0: quant_q4_0(src, static_cast<BlockQ4_0*>(dst), nb); return true;
    case DType::kQ4_K:
      for (int64_t i = 0; i < nb; ++i) quant_q4_k_block(src + i * kQK_K, static_cast<BlockQ4_K*>(dst) + i);
      return true;
    case DType::kQ6_K:
      for (int64_t i = 0; i < nb; ++i) quant_q6_k_block(src + i * kQK_K, static_cast<BlockQ6_K*>(dst) + i);
      return true;
    default: return false;
  }
}

}  // namespace mistralrs
