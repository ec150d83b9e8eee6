// softmax: hand-derived values (op and reference), the op against the reference over edge
// shapes and layouts, large and -inf logits, and argument errors.
#include <gtest/gtest.h>

#include <cmath>

#include "common/op_test_util.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::all_close;
using test::make_tensor;
using test::OwnedView;

// exp([0, ln 2, ln 3]) = [1, 2, 3], sum 6 -> [1/6, 1/3, 1/2], and a -inf logit gets
// weight 0. Logits [1000, 1000, 1000] would overflow exp without the max subtraction; with
// it they give [1/3, 1/3, 1/3].
TEST(OpsSoftmax, HandDerived) {
  OwnedView x = make_tensor(Shape{2, 4}), y = make_tensor(Shape{2, 4});
  const float ln2 = std::log(2.0f), ln3 = std::log(3.0f);
  test::fill_values(x.view, {0, ln2, ln3, -INFINITY, 1000, 1000, 1000, -INFINITY});
  const std::vector<float> expected = {1.0f / 6, 1.0f / 3, 0.5f, 0, 1.0f / 3, 1.0f / 3, 1.0f / 3, 0};
  ASSERT_TRUE(softmax(OpContext{}, x, y).is_ok());
  EXPECT_TRUE(all_close(y, expected));
  ASSERT_TRUE(ref::softmax(x, y).is_ok());
  EXPECT_TRUE(all_close(y, expected));
}

TEST(OpsSoftmax, MatchesReference) {
  auto op = [](const OpContext& ctx, const TensorView& x, const TensorView& y) { return softmax(ctx, x, y); };
  auto rf = [](const TensorView& x, const TensorView& y) { return ref::softmax(x, y); };
  test::expect_unary_matches_ref(op, rf, test::edge_shapes());
  // Logits spread over +-30: many weights far below the max, some underflowing.
  test::expect_unary_matches_ref(op, rf, {Shape{4, 1000}, Shape{3, 17}}, test::kF32Tol, -30.0f, 30.0f);
}

TEST(OpsSoftmax, RowsSumToOne) {
  OwnedView x = make_tensor(Shape{3, 4097});
  test::fill_random(x.view, 11, -10, 10);
  ASSERT_TRUE(softmax(OpContext{}, x, x).is_ok());
  const std::vector<float> y = test::to_vector(x);
  for (int r = 0; r < 3; ++r) {
    double s = 0;
    for (int c = 0; c < 4097; ++c) s += y[static_cast<size_t>(r * 4097 + c)];
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
}

// Leading dims in any stride order: y[b, a, :] of a [2, 3, 5] buffer viewed as [3, 2, 5].
TEST(OpsSoftmax, TransposedLeadingDims) {
  OwnedView buf = make_tensor(Shape{2, 3, 5});
  test::fill_random(buf.view, 4, -3, 3);
  TensorView x = buf.view;
  x.shape = Shape{3, 2, 5};
  x.strides = {5, 15, 1};
  OwnedView expected = make_tensor(Shape{3, 2, 5});
  ASSERT_TRUE(ref::softmax(x, expected).is_ok());
  ASSERT_TRUE(softmax(OpContext{}, x, x).is_ok());
  EXPECT_TRUE(all_close(x, expected));
}

TEST(OpsSoftmax, ArgumentErrors) {
  OwnedView x = make_tensor(Shape{2, 4}), y = make_tensor(Shape{2, 4});
  OwnedView y5 = make_tensor(Shape{2, 5}), xi = make_tensor(Shape{2, 4}, DType::kI32);
  EXPECT_EQ(softmax(OpContext{}, x, y5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(softmax(OpContext{}, xi, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(softmax(OpContext{}, TensorView{}, y).code(), StatusCode::kInvalidArgument);  // rank 0
  OwnedView xc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  OwnedView yc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
#ifndef MISTRALRS_HAS_CUDA
  EXPECT_EQ(softmax(OpContext{}, xc, yc).code(), StatusCode::kUnsupported);
#endif
  EXPECT_EQ(softmax(OpContext{}, xc, y).code(), StatusCode::kInvalidArgument);
  // Output rows that overlap each other (row stride 2 < 4 columns) would race.
  TensorView overlapping = y.view;
  overlapping.strides[0] = 2;
  EXPECT_EQ(softmax(OpContext{}, x, overlapping).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mistralrs
