// kernels/rope_math.cuh on the CPU: the frequency, angle, pair and rotation math the CUDA
// rope kernel runs, checked against independent oracles (the reference's 1/pow form,
// long-double cos/sin, a double rotation), and the kernel's per-token loops run on the host
// over whole tensors against the CPU rope (bit for bit) and the plain reference. Runs
// everywhere: this is the rope kernel's verification on machines without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "common/op_test_util.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"
#include "rope_math.cuh"

namespace mistralrs {
namespace {

using kernels::rope_inv_freq;

// Reference form 1 / theta^(2i/rot) in double (src/ops/cpu/reference.cpp) against the
// header's theta^(-2i/rot): both are pow in double, so they agree to a few double ulps
// (4 ulp = 8.9e-16 relative allowed); the header must equal the CPU op's expression exactly.
TEST(RopeMath, InvFreqMatchesBothCpuForms) {
  for (double theta : {4.0, 10000.0, 500000.0, 1000000.0}) {
    for (int64_t rot : {2, 6, 64, 96, 128, 256}) {
      for (int64_t i = 0; i < rot / 2; ++i) {
        const double got = rope_inv_freq(theta, i, rot);
        const double ref = 1.0 / std::pow(theta, static_cast<double>(2 * i) / rot);
        EXPECT_LE(std::fabs(got - ref), 4 * std::numeric_limits<double>::epsilon() * ref)
            << "theta " << theta << " rot " << rot << " i " << i;
        const double cpu_op = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(rot));
        EXPECT_EQ(got, cpu_op) << "theta " << theta << " rot " << rot << " i " << i;
      }
    }
  }
  EXPECT_EQ(rope_inv_freq(10000.0, 0, 128), 1.0);
  // theta^(-1/2) at i = rot/4: 10000^-0.5 = 0.01 to within a double ulp.
  EXPECT_NEAR(rope_inv_freq(10000.0, 32, 128), 0.01, 1e-17);
}

// f32 cos/sin of p * inv_freq against long double (64-bit mantissa): the header's double
// angle is off by at most half a double ulp of the angle (1.2e-10 rad at p * f = 1e6) and
// cos/sin by a few double ulps, so after rounding to f32 the result is within 1 f32 ulp of
// the truth (|v| <= 1: 6e-8) plus that angle error. An f32 angle would be off by up to
// half an f32 ulp of the angle (0.0039 rad at 1e5 rad): the reason for double.
TEST(RopeMath, CosSinAccurateAtLargePositions) {
  const double freqs[] = {1.0, 0.1f, rope_inv_freq(500000.0, 1, 128), rope_inv_freq(10000.0, 63, 128),
                          0.7};
  const int64_t positions[] = {0, 1, 17, 4095, 100000, 131071, 1000000, 2147483647};
  for (double f : freqs) {
    for (int64_t p : positions) {
      float c = 0, s = 0;
      kernels::rope_cos_sin(p, f, &c, &s);
      const long double angle = static_cast<long double>(p) * static_cast<long double>(f);
      const double tol = 6e-8 + 4e-16 * static_cast<double>(angle);
      const double ec = std::fabs(c - static_cast<double>(std::cos(angle)));
      const double es = std::fabs(s - static_cast<double>(std::sin(angle)));
      EXPECT_LE(ec, tol) << "cos, p " << p << " f " << f;
      EXPECT_LE(es, tol) << "sin, p " << p << " f " << f;
    }
  }
  // The angle computed in f32 at p = 100000, f = 0.1f is visibly wrong; the header's is not.
  const float f32_angle = 100000.0f * 0.1f;
  const double true_angle = 100000.0 * static_cast<double>(0.1f);
  EXPECT_GT(std::fabs(std::cos(static_cast<double>(f32_angle)) - std::cos(true_angle)), 1e-5);
}

// Every element of the rotated span belongs to exactly one pair; Neox pairs sit half apart,
// interleaved pairs are adjacent with the first even.
TEST(RopeMath, PairsCoverTheRotatedDimsOnce) {
  for (bool neox : {true, false}) {
    for (int64_t half : {1, 2, 3, 16, 64}) {
      std::multiset<int64_t> seen;
      for (int64_t i = 0; i < half; ++i) {
        int64_t a = -1, b = -1;
        kernels::rope_pair(neox, i, half, &a, &b);
        seen.insert(a);
        seen.insert(b);
        if (neox) {
          EXPECT_EQ(a, i);
          EXPECT_EQ(b - a, half);
        } else {
          EXPECT_EQ(a % 2, 0);
          EXPECT_EQ(b, a + 1);
        }
      }
      for (int64_t e = 0; e < 2 * half; ++e) EXPECT_EQ(seen.count(e), 1u) << "element " << e;
    }
  }
}

// (x0 c - x1 s, x0 s + x1 c) with rounded products against the same in double: each output
// carries at most 1.5 ulp of max(|x0 c|, |x1 s|) <= max|x| (two product roundings and one
// sum rounding, each half an ulp). Hand value: (1, 2) by a quarter turn (c 0, s 1) -> (-2, 1).
TEST(RopeMath, RotateMatchesDouble) {
  float y0 = 0, y1 = 0;
  kernels::rope_rotate(1.0f, 2.0f, 0.0f, 1.0f, &y0, &y1);
  EXPECT_EQ(y0, -2.0f);
  EXPECT_EQ(y1, 1.0f);
  for (int k = 0; k < 2000; ++k) {
    const float x0 = std::sin(0.37f * k) * 3.0f, x1 = std::cos(1.3f * k) * 5.0f;
    const float c = std::cos(0.011f * k), s = std::sin(0.011f * k);
    kernels::rope_rotate(x0, x1, c, s, &y0, &y1);
    const double e0 = double{x0} * c - double{x1} * s, e1 = double{x0} * s + double{x1} * c;
    const double ulp = std::ldexp(1.0, -23) * std::fmax(std::fabs(x0), std::fabs(x1));
    EXPECT_LE(std::fabs(y0 - e0), 1.5 * ulp) << k;
    EXPECT_LE(std::fabs(y1 - e1), 1.5 * ulp) << k;
  }
}

// The kernel's work for one launch, done on the host with the header's loops: frequencies as
// rope_f32 forms them (by value when half <= 128, theta's on the fly above), one cos/sin
// table per token, then the token's pairs and tail. (first, step) = (0, 1) here; the kernel
// splits the same k range over its threads.
void emulate_kernel(const TensorView& x, const RopeParams& p, const TensorView& y) {
  const int n_heads = static_cast<int>(x.dim(1)), head_dim = static_cast<int>(x.dim(2));
  const int rot = static_cast<int>(p.rotary_dim ? p.rotary_dim : head_dim), half = rot / 2;
  std::vector<double> freqs(static_cast<size_t>(half));
  const bool by_value = half <= kernels::kRopeMaxFreqs;
  for (int i = 0; i < half; ++i)
    freqs[static_cast<size_t>(i)] =
        p.inv_freq ? static_cast<double>(p.inv_freq[i]) : rope_inv_freq(p.theta, i, rot);
  std::vector<float> cs(static_cast<size_t>(2 * half));
  const bool copy_tail = x.data != y.data && rot < head_dim;
  for (int64_t t = 0; t < x.dim(0); ++t) {
    kernels::rope_token_cos_sin(p.position_offset + t, by_value ? freqs.data() : nullptr,
                                static_cast<double>(p.theta), half, cs.data(), 0, 1);
    kernels::rope_token_rotate(x.as<const float>() + t * x.strides[0],
                               y.as<float>() + t * y.strides[0], x.strides[1], y.strides[1],
                               n_heads, head_dim, half, p.layout == RopeLayout::kNeox, copy_tail,
                               cs.data(), 0, 1);
  }
}

struct EmuCase {
  Shape shape;
  int64_t rotary_dim, offset, pad;
  bool neox, given_freq;
};

// CPU rope and the emulated kernel must agree bit for bit (same double angles, same libm,
// same rounded products); both within f32 tolerance of the double reference. Padded rows
// (pad > 0) give token and head strides that are not the dense ones.
TEST(RopeMath, KernelEmulationMatchesCpuRopeExactly) {
  const EmuCase cases[] = {
      {Shape{1, 1, 2}, 0, 0, 0, true, false},       {Shape{3, 2, 34}, 0, 17, 0, true, false},
      {Shape{5, 3, 18}, 0, 100000, 3, false, false}, {Shape{7, 4, 64}, 16, 131000, 0, true, true},
      {Shape{2, 3, 64}, 16, 100000, 5, false, true}, {Shape{4, 2, 128}, 96, 4096, 0, true, false},
      {Shape{2, 2, 300}, 0, 99999, 0, true, false},   // half 150 > 128: theta on the fly
      {Shape{2, 2, 300}, 260, 7, 1, false, false},
  };
  std::vector<float> inv_freq(128);
  for (size_t i = 0; i < inv_freq.size(); ++i) inv_freq[i] = 1.0f / static_cast<float>(1 + 3 * i);
  for (const EmuCase& c : cases) {
    for (bool in_place : {false, true}) {
      SCOPED_TRACE(c.shape.to_string() + " rot " + std::to_string(c.rotary_dim) + " offset " +
                   std::to_string(c.offset) + (c.neox ? " neox" : " interleaved") +
                   (in_place ? " in place" : ""));
      RopeParams p;
      p.theta = 500000.0f;
      p.layout = c.neox ? RopeLayout::kNeox : RopeLayout::kInterleaved;
      p.position_offset = c.offset;
      p.rotary_dim = c.rotary_dim;
      p.inv_freq = c.given_freq ? inv_freq.data() : nullptr;
      test::OwnedView x = c.pad ? test::make_padded(c.shape, c.pad) : test::make_tensor(c.shape);
      test::fill_random(x.view, 11, -2.0f, 2.0f);
      test::OwnedView cpu = test::make_tensor(c.shape), ref = test::make_tensor(c.shape);
      ASSERT_TRUE(rope(OpContext{}, x, p, cpu).is_ok());
      ASSERT_TRUE(ref::rope(x, p, ref).is_ok());
      test::OwnedView emu = in_place ? x : test::make_tensor(c.shape);
      emulate_kernel(x, p, emu);
      const std::vector<float> a = test::to_vector(emu), b = test::to_vector(cpu);
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)))
          << "emulated kernel and CPU rope differ";
      EXPECT_TRUE(test::all_close(emu, ref));
      if (c.pad) {
        EXPECT_TRUE(test::padding_intact(x));
      }
    }
  }
}

// device_position is read by the CUDA kernel; on CPU tensors it is an argument error rather
// than silently ignored.
TEST(RopeMath, DevicePositionIsCudaOnly) {
  test::OwnedView x = test::make_tensor(Shape{1, 1, 4});
  const int32_t pos = 3;
  RopeParams p;
  p.device_position = &pos;
  EXPECT_EQ(rope(OpContext{}, x, p, x).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mistralrs
