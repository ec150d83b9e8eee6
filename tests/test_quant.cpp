// GGUF block formats: hand-built blocks with hand-derived values (the derivations are in
// the comments, from the published block layouts), and quantize -> dequantize round trips
// against the error bounds the reference quantizers guarantee (src/core/quant.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/quant.h"

namespace mistralrs {
namespace {

constexpr uint16_t kHalf0_25 = 0x3400, kHalf0_5 = 0x3800, kHalf1 = 0x3c00, kHalf2 = 0x4000;

TEST(Quant, BlockStructsAreGgufSized) {
  EXPECT_EQ(sizeof(BlockQ8_0), 34u);
  EXPECT_EQ(sizeof(BlockQ4_0), 18u);
  EXPECT_EQ(sizeof(BlockQ4_K), 144u);
  EXPECT_EQ(sizeof(BlockQ6_K), 210u);
}

// q8_0: x[i] = d * qs[i]. d = 0.5, qs[i] = i - 16: x[0] = -8, x[16] = 0, x[31] = 7.5.
TEST(Quant, Q8_0HandBuilt) {
  BlockQ8_0 b;
  b.d = kHalf0_5;
  for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<int8_t>(i - 16);
  float y[32];
  ASSERT_TRUE(dequantize_row(DType::kQ8_0, &b, y, 32));
  EXPECT_EQ(y[0], -8.0f);
  EXPECT_EQ(y[16], 0.0f);
  EXPECT_EQ(y[31], 7.5f);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], 0.5f * static_cast<float>(i - 16)) << i;
}

// q4_0: x[j] = d * ((qs[j] & 15) - 8), x[j + 16] = d * ((qs[j] >> 4) - 8).
// d = 2, qs[j] = j | (15 - j) << 4: x[j] = 2 (j - 8), x[j + 16] = 2 (7 - j).
// x[0] = -16, x[15] = 14, x[16] = 14, x[31] = -16.
TEST(Quant, Q4_0HandBuilt) {
  BlockQ4_0 b;
  b.d = kHalf2;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  ASSERT_TRUE(dequantize_row(DType::kQ4_0, &b, y, 32));
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[15], 14.0f);
  EXPECT_EQ(y[16], 14.0f);
  EXPECT_EQ(y[31], -16.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * static_cast<float>(j - 8)) << j;
    EXPECT_EQ(y[j + 16], 2.0f * static_cast<float>(7 - j)) << j;
  }
}

// q4_k scales/mins (6 bits each) chosen so that sub-blocks 4..7 use their top 2 bits:
//   sc = {1, 2, 3, 63, 17, 33, 49, 63}, m = {0, 1, 2, 3, 20, 40, 60, 5}
//   17 = 01 0001, 33 = 10 0001, 49 = 11 0001, 63 = 11 1111 (top2, low4)
//   20 = 01 0100, 40 = 10 1000, 60 = 11 1100,  5 = 00 0101
// Bytes 0-3: sc_j | top2(sc_{j+4}) << 6 -> 0x41, 0x82, 0xC3, 0xFF
// Bytes 4-7: m_j | top2(m_{j+4}) << 6   -> 0x40, 0x81, 0xC2, 0x03
// Bytes 8-11: low4(sc_{j+4}) | low4(m_{j+4}) << 4 -> 0x41, 0x81, 0xC1, 0x5F
constexpr uint8_t kQ4KScaleBytes[12] = {0x41, 0x82, 0xC3, 0xFF, 0x40, 0x81, 0xC2, 0x03,
                                        0x41, 0x81, 0xC1, 0x5F};
constexpr uint8_t kQ4KScales[8] = {1, 2, 3, 63, 17, 33, 49, 63};
constexpr uint8_t kQ4KMins[8] = {0, 1, 2, 3, 20, 40, 60, 5};

TEST(Quant, Q4KScalePacking) {
  uint8_t sc[8], m[8], packed[12];
  q4_k_unpack_scales(kQ4KScaleBytes, sc, m);
  for (int j = 0; j < 8; ++j) {
    EXPECT_EQ(sc[j], kQ4KScales[j]) << j;
    EXPECT_EQ(m[j], kQ4KMins[j]) << j;
  }
  q4_k_pack_scales(kQ4KScales, kQ4KMins, packed);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(packed[i], kQ4KScaleBytes[i]) << i;
}

// d = 1, dmin = 0.5, qs[i] = (i % 16) | (15 - i % 16) << 4. Value e: group g = e / 64,
// r = e % 64, byte qs[32g + r % 32], low nibble if r < 32 else high; sub-block j = e / 32;
// x = d * sc_j * q - dmin * m_j.
//   e=0:   qs[0] low = 0,    j=0 (1, 0):   0 - 0       = 0
//   e=5:   qs[5] low = 5,    j=0 (1, 0):   5 - 0       = 5
//   e=33:  qs[1] high = 14,  j=1 (2, 1):   28 - 0.5    = 27.5
//   e=70:  qs[38] low = 6,   j=2 (3, 2):   18 - 1      = 17
//   e=127: qs[63] high = 0,  j=3 (63, 3):  0 - 1.5     = -1.5
//   e=130: qs[66] low = 2,   j=4 (17, 20): 34 - 10     = 24
//   e=165: qs[69] high = 10, j=5 (33, 40): 330 - 20    = 310
//   e=200: qs[104] low = 8,  j=6 (49, 60): 392 - 30    = 362
//   e=255: qs[127] high = 0, j=7 (63, 5):  0 - 2.5     = -2.5
TEST(Quant, Q4KHandBuilt) {
  BlockQ4_K b;
  b.d = kHalf1;
  b.dmin = kHalf0_5;
  std::memcpy(b.scales, kQ4KScaleBytes, 12);
  for (int i = 0; i < 128; ++i) b.qs[i] = static_cast<uint8_t>((i % 16) | ((15 - i % 16) << 4));
  float y[256];
  ASSERT_TRUE(dequantize_row(DType::kQ4_K, &b, y, 256));
  const std::pair<int, float> expect[] = {{0, 0.0f},    {5, 5.0f},     {33, 27.5f},
                                          {70, 17.0f},  {127, -1.5f},  {130, 24.0f},
                                          {165, 310.0f}, {200, 362.0f}, {255, -2.5f}};
  for (auto [e, v] : expect) EXPECT_EQ(y[e], v) << "element " << e;
}

// q6_k: d = 0.25, scales[s] = s - 8, ql[i] = (i & 15) | (15 - (i & 15)) << 4, every qh byte
// 0xE4 = 11 10 01 00 (quarter t of a half gets high bits t) except qh[40] = 0x1B =
// 00 01 10 11 (quarter t gets 3 - t). Value e: half h = e / 128, p = e % 128, quarter
// t = p / 32, l = p % 32; ql byte 64h + l + 32 (t & 1), low nibble for t < 2, high for
// t >= 2; high bits = (qh[32h + l] >> 2t) & 3; q = low | high << 4; x = d sc[e/16] (q - 32).
//   e=0:   ql[0] low 0,   qh[0] t0 -> 0:    q=0  -> -32; sc -8: 0.25*-8*-32 = 64
//   e=37:  ql[37] low 5,  qh[5] t1 -> 1:    q=21 -> -11; sc -6: 16.5
//   e=70:  ql[6] high 9,  qh[6] t2 -> 2:    q=41 ->   9; sc -4: -9
//   e=127: ql[63] high 0, qh[31] t3 -> 3:   q=48 ->  16; sc -1: -4
//   e=150: ql[86] low 6,  qh[54] t0 -> 0:   q=6  -> -26; sc  1: -6.5
//   e=168: ql[104] low 8, qh[40] t1 -> 2:   q=40 ->   8; sc  2: 4
//   e=200: ql[72] high 7, qh[40] t2 -> 1:   q=23 ->  -9; sc  4: -9
//   e=255: ql[127] high 0, qh[63] t3 -> 3:  q=48 ->  16; sc  7: 28
TEST(Quant, Q6KHandBuilt) {
  BlockQ6_K b;
  b.d = kHalf0_25;
  for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(s - 8);
  for (int i = 0; i < 128; ++i) b.ql[i] = static_cast<uint8_t>((i & 15) | ((15 - (i & 15)) << 4));
  std::memset(b.qh, 0xE4, sizeof(b.qh));
  b.qh[40] = 0x1B;
  float y[256];
  ASSERT_TRUE(dequantize_row(DType::kQ6_K, &b, y, 256));
  const std::pair<int, float> expect[] = {{0, 64.0f},   {37, 16.5f},  {70, -9.0f},
                                          {127, -4.0f}, {150, -6.5f}, {168, 4.0f},
                                          {200, -9.0f}, {255, 28.0f}};
  for (auto [e, v] : expect) EXPECT_EQ(y[e], v) << "element " << e;
}

TEST(Quant, RejectsPartialBlocksAndNonWeightTypes) {
  std::vector<float> x(512, 1.0f), y(512);
  std::vector<uint8_t> buf(4096);
  EXPECT_FALSE(quantize_row(DType::kQ8_0, x.data(), buf.data(), 33));
  EXPECT_FALSE(quantize_row(DType::kQ4_K, x.data(), buf.data(), 128));
  EXPECT_FALSE(dequantize_row(DType::kQ6_K, buf.data(), y.data(), 100));
  EXPECT_FALSE(dequantize_row(DType::kI32, buf.data(), y.data(), 4));
  EXPECT_FALSE(quantize_row(DType::kI32, x.data(), buf.data(), 4));
}

// Random rows with a spread of magnitudes per block and a few blocks of all zeros.
std::vector<float> test_row(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) x[static_cast<size_t>(i)] = g(rng) * std::exp2(static_cast<float>((i / 32) % 5 - 2));
  std::fill(x.begin() + n / 2, x.begin() + n / 2 + 256, 0.0f);
  return x;
}

struct RoundTrip {
  std::vector<float> x, y;
  std::vector<uint8_t> q;
};

RoundTrip round_trip(DType t, int n, uint32_t seed) {
  RoundTrip r{test_row(n, seed), std::vector<float>(static_cast<size_t>(n)),
              std::vector<uint8_t>(static_cast<size_t>(dtype_bytes(t, n)))};
  EXPECT_TRUE(quantize_row(t, r.x.data(), r.q.data(), n));
  EXPECT_TRUE(dequantize_row(t, r.q.data(), r.y.data(), n));
  return r;
}

// Tolerance slack for the float arithmetic of x/d and of d*q (a few ulps of the step).
constexpr float kSlack = 1e-5f;

// q8_0: d >= amax/127 (rounded up to f16) so |x/d| <= 127 and rounding gives |x - d q| <= d/2.
// Quality: d <= amax/127 * (1 + 2^-10) (one f16 ulp above the exact scale).
TEST(Quant, Q8_0RoundTripWithinHalfStep) {
  const int n = 4096;
  RoundTrip r = round_trip(DType::kQ8_0, n, 1);
  const auto* b = reinterpret_cast<const BlockQ8_0*>(r.q.data());
  for (int i = 0; i < n; ++i) {
    const float d = fp16_to_fp32(b[i / 32].d);
    ASSERT_LE(std::fabs(r.x[i] - r.y[i]), d * (0.5f + kSlack)) << "element " << i;
  }
  for (int k = 0; k < n / 32; ++k) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(r.x[32 * k + i]));
    ASSERT_LE(fp16_to_fp32(b[k].d), amax / 127.0f * (1.0f + 1.0f / 1024) + 1e-30f) << "block " << k;
  }
}

// q4_0: d = -max/8 (|d| rounded up), codes q - 8 in [-8, 7]. Values with x/d <= 7.5 round
// to within |d|/2; values in (7.5, 8] clamp to 7 and are within |d|.
TEST(Quant, Q4_0RoundTripWithinHalfStepOrClamp) {
  const int n = 4096;
  RoundTrip r = round_trip(DType::kQ4_0, n, 2);
  const auto* b = reinterpret_cast<const BlockQ4_0*>(r.q.data());
  for (int i = 0; i < n; ++i) {
    const float d = fp16_to_fp32(b[i / 32].d), ad = std::fabs(d);
    const bool clamped = d != 0.0f && r.x[i] / d > 7.5f;
    ASSERT_LE(std::fabs(r.x[i] - r.y[i]), ad * ((clamped ? 1.0f : 0.5f) + kSlack)) << "element " << i;
  }
}

// q4_k: sub-block j covers [lo_j, hi_j] (lo_j = min(0, min x)); its grid is
// -dmin m_j + d sc_j q, q in 0..15, with -dmin m_j <= lo_j and 15 d sc_j >= hi_j + dmin m_j,
// so |x - x'| <= d sc_j / 2. Quality: d sc_j <= (hi_j - lo_j + dmin) / 15 + d.
TEST(Quant, Q4KRoundTripWithinHalfStep) {
  const int n = 4096;
  RoundTrip r = round_trip(DType::kQ4_K, n, 3);
  const auto* b = reinterpret_cast<const BlockQ4_K*>(r.q.data());
  for (int s = 0; s < n / 32; ++s) {
    const BlockQ4_K& blk = b[s / 8];
    uint8_t sc[8], m[8];
    q4_k_unpack_scales(blk.scales, sc, m);
    const float d = fp16_to_fp32(blk.d), dmin = fp16_to_fp32(blk.dmin);
    const float step = d * sc[s % 8];
    float lo = 0.0f, hi = r.x[32 * s];
    for (int i = 32 * s; i < 32 * s + 32; ++i) {
      lo = std::min(lo, r.x[i]), hi = std::max(hi, r.x[i]);
      ASSERT_LE(std::fabs(r.x[i] - r.y[i]), step * (0.5f + kSlack) + kSlack * dmin * m[s % 8])
          << "element " << i;
    }
    ASSERT_LE(step, (hi - lo + dmin) / 15.0f + d * (1.0f + kSlack)) << "sub-block " << s;
  }
}

// q6_k: step_s = d sc_s >= amax_s / 31, so |q - 32| <= 31 never clamps: |x - x'| <= step/2.
// Quality: step_s <= amax_s / 31 + d.
TEST(Quant, Q6KRoundTripWithinHalfStep) {
  const int n = 4096;
  RoundTrip r = round_trip(DType::kQ6_K, n, 4);
  const auto* b = reinterpret_cast<const BlockQ6_K*>(r.q.data());
  for (int s = 0; s < n / 16; ++s) {
    const BlockQ6_K& blk = b[s / 16];
    const float d = fp16_to_fp32(blk.d), step = d * blk.scales[s % 16];
    float amax = 0.0f;
    for (int i = 16 * s; i < 16 * s + 16; ++i) {
      amax = std::max(amax, std::fabs(r.x[i]));
      ASSERT_LE(std::fabs(r.x[i] - r.y[i]), step * (0.5f + kSlack)) << "element " << i;
    }
    ASSERT_LE(step, amax / 31.0f + d * (1.0f + kSlack)) << "sub-block " << s;
  }
}

// f16: round to nearest, relative error <= 2^-11 for normal values; bf16: <= 2^-8.
TEST(Quant, HalfTypesRoundTrip) {
  const int n = 1024;
  for (auto [t, rel] : {std::pair{DType::kF16, 0x1p-11f}, std::pair{DType::kBF16, 0x1p-8f}}) {
    RoundTrip r = round_trip(t, n, 5);
    for (int i = 0; i < n; ++i)
      ASSERT_LE(std::fabs(r.x[i] - r.y[i]), std::fabs(r.x[i]) * rel + 1e-7f) << dtype_name(t) << " " << i;
  }
}

TEST(Quant, ZeroBlocksStayZero) {
  for (DType t : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_K, DType::kQ6_K}) {
    std::vector<float> x(256, 0.0f), y(256, 1.0f);
    std::vector<uint8_t> q(static_cast<size_t>(dtype_bytes(t, 256)));
    ASSERT_TRUE(quantize_row(t, x.data(), q.data(), 256));
    ASSERT_TRUE(dequantize_row(t, q.data(), y.data(), 256));
    for (float v : y) ASSERT_EQ(v, 0.0f) << dtype_name(t);
  }
}

}  // namespace
}  // namespace mistralrs
