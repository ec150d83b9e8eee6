#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/dtype.h"

namespace mistralrs {
namespace {

TEST(DType, BlockSizesMatchGguf) {
  // ggml: block_q8_0 = {f16 d; int8 qs[32]}, block_q4_0 = {f16 d; uint8 qs[16]},
  // block_q4_K = {f16 d, dmin; uint8 scales[12]; uint8 qs[128]},
  // block_q6_K = {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; f16 d}.
  EXPECT_EQ(dtype_info(DType::kQ8_0).block_bytes, 2 + 32);
  EXPECT_EQ(dtype_info(DType::kQ4_0).block_bytes, 2 + 16);
  EXPECT_EQ(dtype_info(DType::kQ4_K).block_bytes, 2 + 2 + 12 + 128);
  EXPECT_EQ(dtype_info(DType::kQ6_K).block_bytes, 128 + 64 + 16 + 2);
  EXPECT_EQ(dtype_bytes(DType::kQ4_K, 512), 288);
  EXPECT_EQ(dtype_bytes(DType::kF16, 3), 6);
  EXPECT_EQ(dtype_from_name("q6_k"), DType::kQ6_K);
  EXPECT_FALSE(dtype_from_name("q5_k").has_value());
}

// Hand-derived half-precision values: 0x3c00 = 1.0, 0xc000 = -2.0, 0x7bff = 65504 (max),
// 0x0001 = 2^-24 (smallest subnormal), 0x0400 = 2^-14 (smallest normal), 0x3555 = 0.33325195.
TEST(DType, Fp16KnownValues) {
  EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16_to_fp32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7c00)));
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7e00)));
  EXPECT_EQ(fp32_to_fp16(1.0f / 3.0f), 0x3555);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // halfway to 2^16 rounds to even = inf
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // tie to even -> 0
  EXPECT_EQ(fp32_to_fp16(std::ldexp(3.0f, -26)), 0x0001);  // 0.75 ulp -> 1
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
}

// Every finite half survives the round trip half -> float -> half exactly.
TEST(DType, Fp16RoundTripAllValues) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), h) << "h=" << h;
  }
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
  // 1 + 2^-8 is exactly half way between bf16 1.0 (even) and 1 + 2^-7: rounds to 1.0.
  EXPECT_EQ(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  // 1 + 3*2^-8 is half way between 1+2^-7 (odd mantissa 1) and 1+2^-6: rounds up to even.
  EXPECT_EQ(fp32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::nanf("")))));
}

}  // namespace
}  // namespace mistralrs
