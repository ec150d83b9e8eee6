// rms_norm and layer_norm: hand-derived values (op and reference), the op against the
// reference over edge shapes and layouts, and argument errors.
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

OwnedView row_weight(int64_t n, uint32_t seed) {
  OwnedView w = make_tensor(Shape{n});
  test::fill_random(w.view, seed, 0.5f, 1.5f);
  return w;
}

// x = [3, 4]: mean(x^2) = (9 + 16) / 2 = 12.5, rms = sqrt(12.5) = 3.5355339;
// y = x / rms * w = [0.8485281, 1.1313708] * [2, 0.5] = [1.6970563, 0.5656854].
TEST(OpsRmsNorm, HandDerivedThreeFour) {
  OwnedView x = make_tensor(Shape{1, 2}), w = make_tensor(Shape{2});
  test::fill_values(x.view, {3, 4});
  test::fill_values(w.view, {2, 0.5f});
  const std::vector<float> expected = {1.6970563f, 0.5656854f};
  OwnedView y = make_tensor(Shape{1, 2}), y_ref = make_tensor(Shape{1, 2});
  ASSERT_TRUE(rms_norm(OpContext{}, x, w, 0.0f, y).is_ok());
  ASSERT_TRUE(ref::rms_norm(x, w, 0.0f, y_ref).is_ok());
  EXPECT_TRUE(all_close(y, expected));
  EXPECT_TRUE(all_close(y_ref, expected));
}

// eps enters under the root: x = [1, 1], eps = 3 -> rms = sqrt(1 + 3) = 2 -> y = 0.5.
TEST(OpsRmsNorm, HandDerivedEps) {
  OwnedView x = make_tensor(Shape{2}), w = make_tensor(Shape{2}), y = make_tensor(Shape{2});
  test::fill_values(x.view, {1, 1});
  test::fill_values(w.view, {1, 1});
  ASSERT_TRUE(rms_norm(OpContext{}, x, w, 3.0f, y).is_ok());
  EXPECT_TRUE(all_close(y, {0.5f, 0.5f}));
  ASSERT_TRUE(ref::rms_norm(x, w, 3.0f, y).is_ok());
  EXPECT_TRUE(all_close(y, {0.5f, 0.5f}));
}

TEST(OpsRmsNorm, MatchesReference) {
  for (const Shape& shape : test::edge_shapes()) {
    OwnedView w = row_weight(shape[shape.rank - 1], 7);
    test::expect_unary_matches_ref(
        [&](const OpContext& ctx, const TensorView& x, const TensorView& y) {
          return rms_norm(ctx, x, w, 1e-5f, y);
        },
        [&](const TensorView& x, const TensorView& y) { return ref::rms_norm(x, w, 1e-5f, y); },
        {shape});
  }
}

// x = [1, 2, 3]: mean 2, var = (1 + 0 + 1) / 3 = 2/3, sqrt = 0.81649658;
// y = [-1.2247449, 0, 1.2247449] * w + b with w = [1, 2, 1], b = [0, 1, -1].
TEST(OpsLayerNorm, HandDerived) {
  OwnedView x = make_tensor(Shape{3}), w = make_tensor(Shape{3}), b = make_tensor(Shape{3});
  test::fill_values(x.view, {1, 2, 3});
  test::fill_values(w.view, {1, 2, 1});
  test::fill_values(b.view, {0, 1, -1});
  const std::vector<float> with_bias = {-1.2247449f, 1.0f, 0.2247449f};
  const std::vector<float> no_bias = {-1.2247449f, 0.0f, 1.2247449f};
  OwnedView y = make_tensor(Shape{3});
  ASSERT_TRUE(layer_norm(OpContext{}, x, w, b, 0.0f, y).is_ok());
  EXPECT_TRUE(all_close(y, with_bias));
  ASSERT_TRUE(ref::layer_norm(x, w, b, 0.0f, y).is_ok());
  EXPECT_TRUE(all_close(y, with_bias));
  ASSERT_TRUE(layer_norm(OpContext{}, x, w, TensorView{}, 0.0f, y).is_ok());
  EXPECT_TRUE(all_close(y, no_bias));
  ASSERT_TRUE(ref::layer_norm(x, w, TensorView{}, 0.0f, y).is_ok());
  EXPECT_TRUE(all_close(y, no_bias));
}

TEST(OpsLayerNorm, MatchesReference) {
  for (const Shape& shape : test::edge_shapes()) {
    const int64_t n = shape[shape.rank - 1];
    OwnedView w = row_weight(n, 8), b = row_weight(n, 9);
    for (bool with_bias : {true, false}) {
      const TensorView bias = with_bias ? b.view : TensorView{};
      test::expect_unary_matches_ref(
          [&](const OpContext& ctx, const TensorView& x, const TensorView& y) {
            return layer_norm(ctx, x, w, bias, 1e-5f, y);
          },
          [&](const TensorView& x, const TensorView& y) { return ref::layer_norm(x, w, bias, 1e-5f, y); },
          {shape}, test::kF32Tol, 2.0f, 5.0f);  // offset data: the mean matters
    }
  }
}

TEST(OpsRmsNorm, ArgumentErrors) {
  OwnedView x = make_tensor(Shape{2, 4}), w = make_tensor(Shape{4}), y = make_tensor(Shape{2, 4});
  const OpContext ctx;
  auto code = [&](const TensorView& xx, const TensorView& ww, float eps, const TensorView& yy) {
    return rms_norm(ctx, xx, ww, eps, yy).code();
  };
  EXPECT_EQ(code(x, w, 1e-5f, y), StatusCode::kOk);
  OwnedView w3 = make_tensor(Shape{3}), y3 = make_tensor(Shape{2, 3}), xh = make_tensor(Shape{2, 4}, DType::kF16);
  EXPECT_EQ(code(x, w3, 1e-5f, y), StatusCode::kInvalidArgument);   // weight length
  EXPECT_EQ(code(x, w, 1e-5f, y3), StatusCode::kInvalidArgument);   // y shape
  EXPECT_EQ(code(xh, w, 1e-5f, y), StatusCode::kInvalidArgument);   // dtype
  EXPECT_EQ(code(x, w, -1.0f, y), StatusCode::kInvalidArgument);    // eps
  TensorView strided = x.view;  // last dim not contiguous
  strided.strides[1] = 2;
  strided.shape = Shape{2, 2};
  EXPECT_EQ(code(strided, w3, 1e-5f, y3), StatusCode::kInvalidArgument);
  TensorView shifted = x.view;  // y overlaps x by one element: not in place, not disjoint
  shifted.data = x.storage.as<float>() + 1;
  shifted.shape = Shape{1, 4};
  TensorView x_head = x.view;
  x_head.shape = Shape{1, 4};
  EXPECT_EQ(code(x_head, w, 1e-5f, shifted), StatusCode::kInvalidArgument);
  const Status s = rms_norm(ctx, x, w3, 1e-5f, y);
  EXPECT_NE(s.message().find("f32[3]@cpu"), std::string::npos) << s.message();
}

TEST(OpsRmsNorm, DeviceErrors) {
  OwnedView x = make_tensor(Shape{2, 4}), w = make_tensor(Shape{4}), y = make_tensor(Shape{2, 4});
  OwnedView xc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  OwnedView wc = test::make_on_device(Shape{4}, Device::cuda(0));
  OwnedView yc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  EXPECT_EQ(rms_norm(OpContext{}, xc, w, 1e-5f, y).code(), StatusCode::kInvalidArgument);  // mixed
#ifndef MISTRALRS_HAS_CUDA
  EXPECT_EQ(rms_norm(OpContext{}, xc, wc, 1e-5f, yc).code(), StatusCode::kUnsupported);
  EXPECT_EQ(layer_norm(OpContext{}, xc, wc, TensorView{}, 1e-5f, yc).code(), StatusCode::kUnsupported);
#endif
}

TEST(OpsLayerNorm, ArgumentErrors) {
  OwnedView x = make_tensor(Shape{2, 4}), w = make_tensor(Shape{4}), y = make_tensor(Shape{2, 4});
  OwnedView b3 = make_tensor(Shape{3}), bi = make_tensor(Shape{4}, DType::kI32);
  EXPECT_EQ(layer_norm(OpContext{}, x, w, b3, 1e-5f, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(layer_norm(OpContext{}, x, w, bi, 1e-5f, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(layer_norm(OpContext{}, x, w, TensorView{}, NAN, y).code(), StatusCode::kInvalidArgument);
  // y aliasing the weight is never allowed.
  TensorView y_on_w = y.view;
  y_on_w.data = w.view.data;
  y_on_w.shape = Shape{1, 4};
  TensorView x1 = x.view;
  x1.shape = Shape{1, 4};
  EXPECT_EQ(layer_norm(OpContext{}, x1, w, TensorView{}, 1e-5f, y_on_w).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mistralrs
