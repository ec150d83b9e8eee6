// rope: hand-derived rotations for both layouts (op and reference), accuracy at large
// positions, partial rotation, explicit inv_freq, the op against the reference over shapes
// and layouts, and argument errors.
#include <gtest/gtest.h>

#include "common/op_test_util.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::all_close;
using test::make_tensor;
using test::OwnedView;

// Runs the op and the reference on x (copied) and expects both to give `expected`.
void expect_rope(const std::vector<float>& x_values, Shape shape, const RopeParams& p,
                 const std::vector<float>& expected, test::Tolerance tol = test::kF32Tol) {
  OwnedView x = make_tensor(shape), y = make_tensor(shape), y_ref = make_tensor(shape);
  test::fill_values(x.view, x_values);
  ASSERT_TRUE(rope(OpContext{}, x, p, y).is_ok());
  ASSERT_TRUE(ref::rope(x, p, y_ref).is_ok());
  EXPECT_TRUE(all_close(y, expected, tol)) << "op";
  EXPECT_TRUE(all_close(y_ref, expected, tol)) << "reference";
}

// head_dim 4, theta 4: inv_freq = [4^0, 4^(-2/4)] = [1, 0.5]; at position 1 (offset 1,
// token 0) the pair angles are 1 and 0.5 rad. x = [1, 2, 3, 4].
// Neox pairs (0, 2) and (1, 3): y0 = cos1 - 3 sin1 = -1.9841106, y2 = sin1 + 3 cos1 =
// 2.4623779, y1 = 2 cos.5 - 4 sin.5 = -0.16253703, y3 = 2 sin.5 + 4 cos.5 = 4.4691813.
// Interleaved pairs (0, 1) and (2, 3): [cos1 - 2 sin1, sin1 + 2 cos1, 3 cos.5 - 4 sin.5,
// 3 sin.5 + 4 cos.5] = [-1.1426397, 1.9220756, 0.71504553, 4.9486069].
TEST(OpsRope, HandDerivedBothLayouts) {
  RopeParams p;
  p.theta = 4.0f;
  p.position_offset = 1;
  p.layout = RopeLayout::kNeox;
  expect_rope({1, 2, 3, 4}, Shape{1, 1, 4}, p, {-1.9841106f, -0.16253703f, 2.4623779f, 4.4691813f});
  p.layout = RopeLayout::kInterleaved;
  expect_rope({1, 2, 3, 4}, Shape{1, 1, 4}, p, {-1.1426397f, 1.9220756f, 0.71504553f, 4.9486069f});
}

// Position 0 is the identity; token t of x sits at position offset + t (here 0 and 1).
TEST(OpsRope, PositionZeroIsIdentityAndTokensAdvance) {
  RopeParams p;
  p.theta = 10000.0f;  // head_dim 2: inv_freq = [1], angle = position
  expect_rope({1, 2, 1, 0}, Shape{2, 1, 2}, p, {1, 2, 0.54030231f, 0.84147098f});
}

// The angle is formed in double: inv_freq 0.1f = 0.100000001490116, position 131071 ->
// 13107.100195311 rad, cos = 0.93027135, sin = 0.36687220. An f32 product would round the
// angle to 13107.100586 (cos 0.93012797), off by 1.4e-4.
TEST(OpsRope, LargePositionAccurate) {
  const float inv_freq[1] = {0.1f};
  RopeParams p;
  p.inv_freq = inv_freq;
  p.position_offset = 131071;
  expect_rope({1, 0}, Shape{1, 1, 2}, p, {0.93027135f, 0.36687220f});
}

// rotary_dim 2 of head_dim 6 with explicit inv_freq [pi/2]: at position 1 the first pair
// turns a quarter: (1, 2) -> (-2, 1) (Neox pair (0, 1) since half = 1); dims 2..5 pass.
TEST(OpsRope, PartialRotationPassesTheRest) {
  const float inv_freq[1] = {1.5707963267948966f};
  RopeParams p;
  p.inv_freq = inv_freq;
  p.rotary_dim = 2;
  p.position_offset = 1;
  expect_rope({1, 2, 3, 4, 5, 6}, Shape{1, 1, 6}, p, {-2, 1, 3, 4, 5, 6});
  p.layout = RopeLayout::kInterleaved;
  expect_rope({1, 2, 3, 4, 5, 6}, Shape{1, 1, 6}, p, {-2, 1, 3, 4, 5, 6});
}

TEST(OpsRope, MatchesReference) {
  const std::vector<Shape> shapes = {Shape{1, 1, 2}, Shape{1, 1, 128}, Shape{3, 2, 34},
                                     Shape{5, 3, 18}, Shape{7, 4, 64}, Shape{40, 8, 128}};
  const float inv_freq[64] = {1.0f, 0.5f, 0.25f, 0.125f, 0.3f, 0.01f, 0.001f, 2.0f, 0.7f};
  for (RopeLayout layout : {RopeLayout::kNeox, RopeLayout::kInterleaved})
    for (int64_t offset : {int64_t{0}, int64_t{17}, int64_t{131000}})
      for (int64_t rotary : {int64_t{0}, int64_t{2}, int64_t{16}})
        for (bool given_freq : {false, true}) {
          SCOPED_TRACE("layout " + std::to_string(static_cast<int>(layout)) + " offset " +
                       std::to_string(offset) + " rotary " + std::to_string(rotary) +
                       (given_freq ? " inv_freq" : " theta"));
          RopeParams p;
          p.theta = 500000.0f;
          p.layout = layout;
          p.position_offset = offset;
          p.rotary_dim = rotary;
          p.inv_freq = given_freq ? inv_freq : nullptr;
          std::vector<Shape> usable;  // rotary_dim must fit the head
          for (const Shape& s : shapes)
            if (s[2] >= rotary) usable.push_back(s);
          test::expect_unary_matches_ref(
              [&](const OpContext& ctx, const TensorView& x, const TensorView& y) { return rope(ctx, x, p, y); },
              [&](const TensorView& x, const TensorView& y) { return ref::rope(x, p, y); }, usable);
        }
}

// q of a fused [tokens, 3 * heads, head_dim] qkv buffer: heads 0..1 of 6, token stride 6 * d.
TEST(OpsRope, SliceOfFusedQkv) {
  OwnedView qkv = make_tensor(Shape{4, 6, 8});
  test::fill_random(qkv.view, 5);
  auto q = qkv.view.slice(1, 0, 2);
  ASSERT_TRUE(q.is_ok());
  OwnedView expected = make_tensor(Shape{4, 2, 8});
  RopeParams p;
  p.position_offset = 3;
  ASSERT_TRUE(ref::rope(q.value(), p, expected).is_ok());
  ASSERT_TRUE(rope(OpContext{}, q.value(), p, q.value()).is_ok());
  EXPECT_TRUE(all_close(q.value(), expected));
}

TEST(OpsRope, ArgumentErrors) {
  OwnedView x = make_tensor(Shape{2, 2, 6}), y = make_tensor(Shape{2, 2, 6});
  OwnedView x2 = make_tensor(Shape{2, 12}), y5 = make_tensor(Shape{2, 2, 5});
  const OpContext ctx;
  auto code = [&](const RopeParams& p, const TensorView& xx, const TensorView& yy) {
    return rope(ctx, xx, p, yy).code();
  };
  RopeParams p;
  EXPECT_EQ(code(p, x, y), StatusCode::kOk);
  EXPECT_EQ(code(p, x2, x2), StatusCode::kInvalidArgument);  // rank 2
  EXPECT_EQ(code(p, y5, y5), StatusCode::kInvalidArgument);  // odd head_dim
  p.rotary_dim = 3;
  EXPECT_EQ(code(p, x, y), StatusCode::kInvalidArgument);
  p.rotary_dim = 8;
  EXPECT_EQ(code(p, x, y), StatusCode::kInvalidArgument);
  p.rotary_dim = -2;
  EXPECT_EQ(code(p, x, y), StatusCode::kInvalidArgument);
  p = RopeParams{};
  p.theta = 0.0f;
  EXPECT_EQ(code(p, x, y), StatusCode::kInvalidArgument);
  p = RopeParams{};
  p.position_offset = -1;
  EXPECT_EQ(code(p, x, y), StatusCode::kInvalidArgument);
  OwnedView xc = test::make_on_device(Shape{2, 2, 6}, Device::cuda(0));
  OwnedView yc = test::make_on_device(Shape{2, 2, 6}, Device::cuda(0));
#ifndef MISTRALRS_HAS_CUDA
  EXPECT_EQ(code(RopeParams{}, xc, yc), StatusCode::kUnsupported);
#endif
  EXPECT_EQ(code(RopeParams{}, xc, y), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mistralrs
