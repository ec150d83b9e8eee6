// silu_mul and cast on CPU: hand-derived values, the ops against the plain references
// (cast: bit for bit, exhaustively over every f16 and bf16 pattern and over 3M f32 patterns
// that include every rounding boundary), layouts, aliasing and argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/op_test_util.h"
#include "core/thread_pool.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::all_close;
using test::make_tensor;
using test::OwnedView;

// ---- silu_mul ---------------------------------------------------------------------------

// silu(g) * u with silu(1) = 0.73105858, silu(-1) = -0.26894142, silu(10) = 9.9995460:
// g = [0, 1, -1, 10], u = [5, 2, -3, 0.5] -> [0, 1.46211716, 0.80682426, 4.9997730].
TEST(OpsSiluMul, HandDerived) {
  OwnedView g = make_tensor(Shape{4}), u = make_tensor(Shape{4}), y = make_tensor(Shape{4});
  test::fill_values(g.view, {0, 1, -1, 10});
  test::fill_values(u.view, {5, 2, -3, 0.5f});
  const std::vector<float> expected = {0.0f, 1.46211716f, 0.80682426f, 4.9997730f};
  ASSERT_TRUE(silu_mul(OpContext{}, g, u, y).is_ok());
  EXPECT_TRUE(all_close(y, expected));
  ASSERT_TRUE(ref::silu_mul(g, u, y).is_ok());
  EXPECT_TRUE(all_close(y, expected));
}

// up is a contiguous tensor of x's shape filled from a fixed seed, so the op and the
// reference see the same one; the shared helper covers shapes, padded rows, y == gate and
// the thread pool. The vector silu's polynomial exp is within 2 ulp: f32 tolerance holds.
TEST(OpsSiluMul, MatchesReference) {
  auto up_for = [](const TensorView& x) {
    OwnedView u = make_tensor(x.shape);
    test::fill_random(u.view, 77, -3.0f, 3.0f);
    return u;
  };
  test::expect_unary_matches_ref(
      [&](const OpContext& ctx, const TensorView& x, const TensorView& y) {
        const OwnedView u = up_for(x);
        return silu_mul(ctx, x, u, y);
      },
      [&](const TensorView& x, const TensorView& y) {
        const OwnedView u = up_for(x);
        return ref::silu_mul(x, u, y);
      },
      test::edge_shapes(), test::kF32Tol, -12.0f, 12.0f);
}

// y may be up itself (the chunked CPU path reads both inputs before writing).
TEST(OpsSiluMul, InPlaceOnUp) {
  for (int64_t n : {1, 255, 256, 257, 4097}) {
    OwnedView g = make_tensor(Shape{3, n}), u = make_tensor(Shape{3, n}), want = make_tensor(Shape{3, n});
    test::fill_random(g.view, 1, -6.0f, 6.0f);
    test::fill_random(u.view, 2, -2.0f, 2.0f);
    ASSERT_TRUE(ref::silu_mul(g, u, want).is_ok());
    ASSERT_TRUE(silu_mul(OpContext{}, g, u, u).is_ok());
    EXPECT_TRUE(all_close(u, want)) << "n " << n;
  }
}

TEST(OpsSiluMul, ArgumentErrors) {
  const OpContext ctx;
  OwnedView g = make_tensor(Shape{2, 4}), u = make_tensor(Shape{2, 4}), y = make_tensor(Shape{2, 4});
  OwnedView row = make_tensor(Shape{4}), u5 = make_tensor(Shape{2, 5});
  OwnedView gi = make_tensor(Shape{2, 4}, DType::kI32), uh = make_tensor(Shape{2, 4}, DType::kF16);
  EXPECT_EQ(silu_mul(ctx, g, u, y).code(), StatusCode::kOk);
  EXPECT_EQ(silu_mul(ctx, g, row, y).code(), StatusCode::kInvalidArgument);  // no broadcast
  EXPECT_EQ(silu_mul(ctx, g, u5, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(silu_mul(ctx, gi, u, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(silu_mul(ctx, g, uh, y).code(), StatusCode::kInvalidArgument);
  // y partially overlapping gate would read values already written; a disjoint row is fine.
  TensorView shifted = g.view;
  shifted.data = g.view.as<float>() + 4;
  shifted.shape = Shape{1, 4};
  TensorView g1 = g.view, u1 = u.view;
  g1.shape = Shape{1, 4};
  u1.shape = Shape{1, 4};
  TensorView g_tail = g1;
  g_tail.data = g.view.as<float>() + 2;
  EXPECT_EQ(silu_mul(ctx, g1, u1, g_tail).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(silu_mul(ctx, g1, u1, shifted).code(), StatusCode::kOk);  // disjoint
  OwnedView gc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  EXPECT_EQ(silu_mul(ctx, gc, u, y).code(), StatusCode::kInvalidArgument);  // mixed devices
#ifndef MISTRALRS_HAS_CUDA
  OwnedView uc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  OwnedView yc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  EXPECT_EQ(silu_mul(ctx, gc, uc, yc).code(), StatusCode::kUnsupported);
#endif
}

// ---- cast -------------------------------------------------------------------------------

uint32_t f32_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
float bits_f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// A contiguous 1-D tensor of `dtype` holding raw bit patterns (low 16 bits for f16/bf16).
OwnedView from_bits(const std::vector<uint32_t>& bits, DType dtype) {
  OwnedView t = make_tensor(Shape{static_cast<int64_t>(bits.size())}, dtype);
  for (size_t i = 0; i < bits.size(); ++i) {
    if (dtype == DType::kF32) {
      t.view.as<uint32_t>()[i] = bits[i];
    } else {
      t.view.as<uint16_t>()[i] = static_cast<uint16_t>(bits[i]);
    }
  }
  return t;
}
std::vector<uint32_t> to_bits(const TensorView& t) {
  std::vector<uint32_t> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = t.dtype == DType::kF32 ? t.as<uint32_t>()[i] : t.as<uint16_t>()[i];
  return out;
}

// Runs the op and the reference on the same input; both must give `want` (when given) and
// each other, bit for bit. Reports the first mismatch with its input bits.
void expect_cast(const std::vector<uint32_t>& in, DType from, DType to,
                 const std::vector<uint32_t>* want = nullptr) {
  const OwnedView x = from_bits(in, from);
  OwnedView y = make_tensor(x.view.shape, to), r = make_tensor(x.view.shape, to);
  ThreadPool pool(2);
  OpContext ctx;
  ctx.pool = &pool;
  ASSERT_TRUE(cast(ctx, x, y).is_ok());
  ASSERT_TRUE(ref::cast(x, r).is_ok());
  const std::vector<uint32_t> got = to_bits(y), ref = to_bits(r);
  const std::string what = std::string(dtype_name(from)) + " -> " + std::string(dtype_name(to));
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(got[i], ref[i]) << what << ": op and reference differ at input bits 0x" << std::hex
                              << in[i] << ": op 0x" << got[i] << ", reference 0x" << ref[i];
    if (want) {
      ASSERT_EQ(got[i], (*want)[i]) << what << " of input 0x" << std::hex << in[i];
    }
  }
}

// f32 -> f16: 1 = 0x3c00; 65504 (max) = 0x7bff; 65519.996 still rounds down; 65520 is the
// halfway point to 65536 and rounds to even, i.e. overflows to inf 0x7c00; 2^-24 is the
// smallest subnormal 0x0001; 2^-25 is halfway to 0 and rounds to even 0; 1.5 * 2^-24 ties to
// even 0x0002; 2^-14 is the smallest normal 0x0400; 1 + 2^-11 ties to 1, 1 + 3 * 2^-11 to
// 1 + 2^-9 = 0x3c02; -inf = 0xfc00; a NaN gives 0x7e00 with its sign.
TEST(OpsCast, F32ToF16HandDerived) {
  const std::vector<uint32_t> in = {
      f32_bits(1.0f), f32_bits(65504.0f), f32_bits(65519.996f), f32_bits(65520.0f),
      f32_bits(std::ldexp(1.0f, -24)), f32_bits(std::ldexp(1.0f, -25)),
      f32_bits(1.5f * std::ldexp(1.0f, -24)), f32_bits(std::ldexp(1.0f, -14)),
      f32_bits(1.0f + std::ldexp(1.0f, -11)), f32_bits(1.0f + 3 * std::ldexp(1.0f, -11)),
      f32_bits(-INFINITY), 0x7fc00000u, 0xff812345u, 0x80000000u};
  const std::vector<uint32_t> want = {0x3c00, 0x7bff, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002,
                                      0x0400, 0x3c00, 0x3c02, 0xfc00, 0x7e00, 0xfe00, 0x8000};
  expect_cast(in, DType::kF32, DType::kF16, &want);
}

// f32 -> bf16 keeps the top 16 bits after rounding bit 15 down to nearest even: 1 = 0x3f80;
// 1 + 2^-8 ties to 1; 1 + 3 * 2^-8 to 0x3f82; the max bf16 (2 - 2^-7) 2^127 stays 0x7f7f
// while FLT_MAX lies past the halfway point and overflows to 0x7f80; the smallest f32
// subnormal 2^-149 rounds to 0; NaN 0x7fc00001 -> 0x7fc0, the signalling 0x7f800001 is
// quietened to 0x7fc0, 0xff812345 -> 0xffc1 (sign and top payload kept).
TEST(OpsCast, F32ToBf16HandDerived) {
  const std::vector<uint32_t> in = {f32_bits(1.0f), f32_bits(1.0f + std::ldexp(1.0f, -8)),
                                    f32_bits(1.0f + 3 * std::ldexp(1.0f, -8)), 0x7f7f0000u,
                                    f32_bits(3.4028235e38f), 0x00000001u, 0x7fc00001u,
                                    0x7f800001u, 0xff812345u};
  const std::vector<uint32_t> want = {0x3f80, 0x3f80, 0x3f82, 0x7f7f, 0x7f80,
                                      0x0000, 0x7fc0, 0x7fc0, 0xffc1};
  expect_cast(in, DType::kF32, DType::kBF16, &want);
}

// Up to f32 is exact: f16 0x0001 = 2^-24, 0x7bff = 65504, 0xfc00 = -inf; a f16 NaN keeps its
// payload (0x7c01 -> 0x7f802000); bf16 is the top half (0x3f80 -> 1).
TEST(OpsCast, UpToF32HandDerived) {
  const std::vector<uint32_t> want16 = {f32_bits(std::ldexp(1.0f, -24)), f32_bits(65504.0f),
                                        f32_bits(-INFINITY), 0x7f802000u};
  expect_cast({0x0001, 0x7bff, 0xfc00, 0x7c01}, DType::kF16, DType::kF32, &want16);
  const std::vector<uint32_t> want_bf = {f32_bits(1.0f), 0xff810000u};
  expect_cast({0x3f80, 0xff81}, DType::kBF16, DType::kF32, &want_bf);
}

// Every 16-bit pattern to every other type, op against reference.
TEST(OpsCast, Every16BitPattern) {
  std::vector<uint32_t> all(65536);
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  for (DType from : {DType::kF16, DType::kBF16})
    for (DType to : {DType::kF32, DType::kF16, DType::kBF16}) expect_cast(all, from, to);
}

// f32 patterns (i << 12) | lo for every i < 2^20 and lo in {0, 1, 0xfff}: every sign,
// exponent and top mantissa bits, so every f16 rounding position (bit 12 down to bit 23 for
// subnormal results) and bf16's (bit 15) sees exact ties (lo = 0), just above (lo = 1) and
// just below the next (lo = 0xfff); NaNs and infinities included.
TEST(OpsCast, F32BoundarySweep) {
  std::vector<uint32_t> in;
  in.reserve(3u << 20);
  for (uint32_t i = 0; i < (1u << 20); ++i)
    for (uint32_t lo : {0u, 1u, 0xfffu}) in.push_back((i << 12) | lo);
  expect_cast(in, DType::kF32, DType::kF16);
  expect_cast(in, DType::kF32, DType::kBF16);
  expect_cast(in, DType::kF32, DType::kF32);
}

// [2, 3, 5] views with strided rows both ways: the bf16 source's rows 7 elements apart, the
// f32 destination's 8 apart; only the view's elements written.
TEST(OpsCast, StridedRowsAndRanks) {
  OwnedView src = make_tensor(Shape{6, 7}, DType::kBF16);
  for (int i = 0; i < 42; ++i) src.view.as<uint16_t>()[i] = static_cast<uint16_t>(0x3f80 + i);
  TensorView x = src.view;
  x.shape = Shape{2, 3, 5};
  x.strides = {21, 7, 1, 0};
  OwnedView dst = make_tensor(Shape{2, 3, 8});
  for (int i = 0; i < 48; ++i) dst.view.as<float>()[i] = -7.0f;
  TensorView y = dst.view;
  y.shape = Shape{2, 3, 5};  // strides {24, 8, 1}
  ASSERT_TRUE(cast(OpContext{}, x, y).is_ok());
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) {
      const float got = dst.view.as<float>()[r * 8 + c];
      const float want = c < 5 ? bf16_to_fp32(static_cast<uint16_t>(0x3f80 + r * 7 + c)) : -7.0f;
      EXPECT_EQ(got, want) << "row " << r << ", col " << c << (c < 5 ? "" : " (padding)");
    }
  OwnedView back = make_tensor(Shape{2, 3, 5}, DType::kBF16);
  ASSERT_TRUE(cast(OpContext{}, y, back).is_ok());
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 5; ++c)
      EXPECT_EQ(back.view.as<uint16_t>()[r * 5 + c], 0x3f80 + r * 7 + c);
  // No rows at all is fine.
  OwnedView e0 = make_tensor(Shape{0, 4}), e1 = make_tensor(Shape{0, 4}, DType::kF16);
  EXPECT_TRUE(cast(OpContext{}, e0, e1).is_ok());
}

// Same dtype is a bit copy: a NaN payload survives.
TEST(OpsCast, SameTypeCopiesBits) {
  const std::vector<uint32_t> bits = {0x7e01, 0xfd55, 0x3c00};
  expect_cast(bits, DType::kF16, DType::kF16, &bits);
}

TEST(OpsCast, ArgumentErrors) {
  const OpContext ctx;
  OwnedView x = make_tensor(Shape{2, 4}), y16 = make_tensor(Shape{2, 4}, DType::kF16);
  OwnedView y5 = make_tensor(Shape{2, 5}, DType::kF16), yi = make_tensor(Shape{2, 4}, DType::kI32);
  OwnedView xq = make_tensor(Shape{2, 32}, DType::kQ8_0), yq = make_tensor(Shape{2, 32});
  EXPECT_EQ(cast(ctx, x, y16).code(), StatusCode::kOk);
  EXPECT_EQ(cast(ctx, x, y5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cast(ctx, x, yi).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cast(ctx, xq, yq).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cast(ctx, TensorView{}, y16).code(), StatusCode::kInvalidArgument);  // rank 0
  // No aliasing at all, not even exact in place.
  EXPECT_EQ(cast(ctx, x, x).code(), StatusCode::kInvalidArgument);
  TensorView y_on_x = y16.view;
  y_on_x.data = x.view.data;
  EXPECT_EQ(cast(ctx, x, y_on_x).code(), StatusCode::kInvalidArgument);
  // Output rows overlapping each other would race.
  TensorView overlapping = y16.view;
  overlapping.strides[0] = 2;
  EXPECT_EQ(cast(ctx, x, overlapping).code(), StatusCode::kInvalidArgument);
  OwnedView xc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  EXPECT_EQ(cast(ctx, xc, y16).code(), StatusCode::kInvalidArgument);  // mixed devices
#ifndef MISTRALRS_HAS_CUDA
  OwnedView yc = test::make_on_device(Shape{2, 4}, Device::cuda(0), DType::kF16);
  EXPECT_EQ(cast(ctx, xc, yc).code(), StatusCode::kUnsupported);
#endif
}

}  // namespace
}  // namespace mistralrs
