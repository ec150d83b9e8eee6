// add, mul, silu, gelu: hand-derived values (op and reference), the op against the
// reference over edge shapes, layouts, broadcasting and in-place use, and argument errors.
#include <gtest/gtest.h>

#include "common/op_test_util.h"
#include "core/thread_pool.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::all_close;
using test::make_tensor;
using test::OwnedView;

// silu(x) = x / (1 + e^-x): silu(0) = 0, silu(1) = 1 / (1 + e^-1) = 0.73105858,
// silu(-1) = -1 / (1 + e) = -0.26894142, silu(10) = 10 / (1 + e^-10) = 9.9995460.
TEST(OpsSilu, HandDerived) {
  OwnedView x = make_tensor(Shape{4}), y = make_tensor(Shape{4});
  test::fill_values(x.view, {0, 1, -1, 10});
  const std::vector<float> expected = {0.0f, 0.73105858f, -0.26894142f, 9.9995460f};
  ASSERT_TRUE(silu(OpContext{}, x, y).is_ok());
  EXPECT_TRUE(all_close(y, expected));
  ASSERT_TRUE(ref::silu(x, y).is_ok());
  EXPECT_TRUE(all_close(y, expected));
}

// gelu_erf(x) = x/2 (1 + erf(x / sqrt 2)) = x Phi(x): Phi(1) = 0.84134475, Phi(-1) =
// 0.15865525, Phi(2) = 0.97724987 -> [0, 0.84134475, -0.15865525, 1.9544997].
// gelu_tanh at 1: u = sqrt(2/pi) * 1.044715 = 0.83356197, tanh u = 0.68238398 ->
// 0.5 * 1.68238398 = 0.84119199; gelu(-x) = gelu(x) - x gives at -1: 0.84119199 - 1 =
// -0.15880801; at 2: u = 0.79788456 * 2.35772 = 1.8811884, tanh u = 0.95459769 -> 1.9545977.
TEST(OpsGelu, HandDerived) {
  OwnedView x = make_tensor(Shape{4}), y = make_tensor(Shape{4});
  test::fill_values(x.view, {0, 1, -1, 2});
  const std::vector<float> erf_expected = {0.0f, 0.84134475f, -0.15865525f, 1.9544997f};
  const std::vector<float> tanh_expected = {0.0f, 0.84119199f, -0.15880801f, 1.9545977f};
  for (bool use_ref : {false, true}) {
    SCOPED_TRACE(use_ref ? "reference" : "op");
    auto run = [&](GeluKind k) { return use_ref ? ref::gelu(x, k, y) : gelu(OpContext{}, x, k, y); };
    ASSERT_TRUE(run(GeluKind::kErf).is_ok());
    EXPECT_TRUE(all_close(y, erf_expected));
    ASSERT_TRUE(run(GeluKind::kTanh).is_ok());
    EXPECT_TRUE(all_close(y, tanh_expected));
  }
}

// [1, 2, 3] + [10, 20, 30] = [11, 22, 33]; * = [10, 40, 90]; broadcast of b = [1, -1]
// over rows [[1, 2], [3, 4]] gives + [[2, 1], [4, 3]] and * [[1, -2], [3, -4]].
TEST(OpsAddMul, HandDerived) {
  OwnedView a = make_tensor(Shape{3}), b = make_tensor(Shape{3}), y = make_tensor(Shape{3});
  test::fill_values(a.view, {1, 2, 3});
  test::fill_values(b.view, {10, 20, 30});
  OwnedView a2 = make_tensor(Shape{2, 2}), b2 = make_tensor(Shape{2}), y2 = make_tensor(Shape{2, 2});
  test::fill_values(a2.view, {1, 2, 3, 4});
  test::fill_values(b2.view, {1, -1});
  for (bool use_ref : {false, true}) {
    SCOPED_TRACE(use_ref ? "reference" : "op");
    ASSERT_TRUE((use_ref ? ref::add(a, b, y) : add(OpContext{}, a, b, y)).is_ok());
    EXPECT_TRUE(all_close(y, {11, 22, 33}));
    ASSERT_TRUE((use_ref ? ref::mul(a, b, y) : mul(OpContext{}, a, b, y)).is_ok());
    EXPECT_TRUE(all_close(y, {10, 40, 90}));
    ASSERT_TRUE((use_ref ? ref::add(a2, b2, y2) : add(OpContext{}, a2, b2, y2)).is_ok());
    EXPECT_TRUE(all_close(y2, {2, 1, 4, 3}));
    ASSERT_TRUE((use_ref ? ref::mul(a2, b2, y2) : mul(OpContext{}, a2, b2, y2)).is_ok());
    EXPECT_TRUE(all_close(y2, {1, -2, 3, -4}));
  }
}

TEST(OpsSilu, MatchesReference) {
  test::expect_unary_matches_ref(
      [](const OpContext& ctx, const TensorView& x, const TensorView& y) { return silu(ctx, x, y); },
      [](const TensorView& x, const TensorView& y) { return ref::silu(x, y); }, test::edge_shapes(),
      test::kF32Tol, -12.0f, 12.0f);
}

TEST(OpsGelu, MatchesReference) {
  for (GeluKind kind : {GeluKind::kErf, GeluKind::kTanh}) {
    SCOPED_TRACE(kind == GeluKind::kErf ? "erf" : "tanh");
    test::expect_unary_matches_ref(
        [&](const OpContext& ctx, const TensorView& x, const TensorView& y) { return gelu(ctx, x, kind, y); },
        [&](const TensorView& x, const TensorView& y) { return ref::gelu(x, kind, y); },
        test::edge_shapes(), test::kF32Tol, -8.0f, 8.0f);
  }
}

using BinaryOp = Status (*)(const OpContext&, const TensorView&, const TensorView&, const TensorView&);
using BinaryRef = Status (*)(const TensorView&, const TensorView&, const TensorView&);

// a and b random; b full-shaped or broadcast; y separate, y = a, or y = b; padded rows.
void expect_binary_matches_ref(BinaryOp op, BinaryRef rf) {
  ThreadPool pool2(2);
  uint32_t seed = 99;
  for (const Shape& shape : test::edge_shapes())
    for (bool broadcast : {false, true})
      for (bool padded : {false, true})
        for (int alias : {0, 1, 2})  // 0: y separate, 1: y = a, 2: y = b
          for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
            if (alias == 2 && broadcast && shape.rank > 1) continue;
            SCOPED_TRACE("shape " + shape.to_string() + (broadcast ? " broadcast" : "") +
                         (padded ? " padded" : "") + " alias " + std::to_string(alias) +
                         (pool ? " pool=2" : ""));
            const Shape b_shape = broadcast ? Shape{shape[shape.rank - 1]} : shape;
            OwnedView a = padded ? test::make_padded(shape, 3) : make_tensor(shape);
            OwnedView b = padded ? test::make_padded(b_shape, 1) : make_tensor(b_shape);
            test::fill_random(a.view, seed++, -2, 2);
            test::fill_random(b.view, seed++, -2, 2);
            OwnedView expected = make_tensor(shape);
            ASSERT_TRUE(rf(a, b, expected).is_ok());
            OwnedView y = alias == 1 ? a : alias == 2 ? b : make_tensor(shape);
            const Status st = op(OpContext{pool, nullptr}, a, b, y);
            ASSERT_TRUE(st.is_ok()) << st.to_string();
            EXPECT_TRUE(all_close(y, expected));
          }
}

TEST(OpsAdd, MatchesReference) { expect_binary_matches_ref(add, ref::add); }
TEST(OpsMul, MatchesReference) { expect_binary_matches_ref(mul, ref::mul); }

TEST(OpsElementwise, ArgumentErrors) {
  const OpContext ctx;
  OwnedView a = make_tensor(Shape{2, 4}), b = make_tensor(Shape{2, 4}), y = make_tensor(Shape{2, 4});
  OwnedView b3 = make_tensor(Shape{3}), b24 = make_tensor(Shape{4, 2}), yh = make_tensor(Shape{2, 4}, DType::kF16);
  EXPECT_EQ(add(ctx, a, b3, y).code(), StatusCode::kInvalidArgument);   // broadcast length
  EXPECT_EQ(mul(ctx, a, b24, y).code(), StatusCode::kInvalidArgument);  // shape
  EXPECT_EQ(add(ctx, a, b, yh).code(), StatusCode::kInvalidArgument);   // dtype
  EXPECT_EQ(silu(ctx, a, yh).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(gelu(ctx, a, static_cast<GeluKind>(7), y).code(), StatusCode::kInvalidArgument);
  TensorView col = a.view;  // a column: stride 4 in the last dim
  col.shape = Shape{2, 1};
  EXPECT_EQ(silu(ctx, col, col).code(), StatusCode::kOk);  // size-1 last dim: any stride
  col.shape = Shape{1, 2};
  col.strides = {8, 4};
  OwnedView y12 = make_tensor(Shape{1, 2});
  const Status s = silu(ctx, col, y12);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("strides [8, 4]"), std::string::npos) << s.message();
}

TEST(OpsElementwise, DeviceErrors) {
  const OpContext ctx;
  OwnedView a = make_tensor(Shape{2, 4}), y = make_tensor(Shape{2, 4});
  OwnedView ac = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  EXPECT_EQ(add(ctx, a, ac, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mul(ctx, ac, a, y).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(gelu(ctx, ac, GeluKind::kErf, y).code(), StatusCode::kInvalidArgument);
#ifndef MISTRALRS_HAS_CUDA
  OwnedView bc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  OwnedView yc = test::make_on_device(Shape{2, 4}, Device::cuda(0));
  EXPECT_EQ(add(ctx, ac, bc, yc).code(), StatusCode::kUnsupported);
  EXPECT_EQ(silu(ctx, ac, yc).code(), StatusCode::kUnsupported);
#endif
}

}  // namespace
}  // namespace mistralrs
