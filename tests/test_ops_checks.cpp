// The shared argument checks of the op layer (src/ops/op_checks.h): layouts that write
// safely, aliasing rules, and the row-stride collapse the CUDA launchers rely on.
#include <gtest/gtest.h>

#include "common/op_test_util.h"
#include "ops/op_checks.h"

namespace mistralrs {
namespace {

using test::make_tensor;
using test::OwnedView;

TEST(OpsChecks, OutputViewRejectsOverlappingRows) {
  OwnedView t = make_tensor(Shape{4, 6, 8});
  EXPECT_TRUE(op_checks::output_view("op", "y", t).is_ok());
  TensorView transposed = t.view;  // [6, 4, 8] with strides [8, 48, 1]: rows still disjoint
  transposed.shape = Shape{6, 4, 8};
  transposed.strides = {8, 48, 1};
  EXPECT_TRUE(op_checks::output_view("op", "y", transposed).is_ok());
  TensorView broadcast_rows = t.view;  // stride 0: every row is the same memory
  broadcast_rows.strides = {0, 8, 1};
  EXPECT_EQ(op_checks::output_view("op", "y", broadcast_rows).code(), StatusCode::kInvalidArgument);
  TensorView short_stride = t.view;  // rows 4 apart but 8 long
  short_stride.strides = {48, 4, 1};
  EXPECT_EQ(op_checks::output_view("op", "y", short_stride).code(), StatusCode::kInvalidArgument);
}

TEST(OpsChecks, AliasingRules) {
  OwnedView t = make_tensor(Shape{4, 8});
  const TensorView rows01 = t.view.slice(0, 0, 2).value(), rows23 = t.view.slice(0, 2, 4).value();
  const TensorView rows12 = t.view.slice(0, 1, 3).value();
  EXPECT_TRUE(op_checks::in_place_or_disjoint("op", "y", rows01, "x", rows01).is_ok());
  EXPECT_TRUE(op_checks::in_place_or_disjoint("op", "y", rows01, "x", rows23).is_ok());
  EXPECT_EQ(op_checks::in_place_or_disjoint("op", "y", rows01, "x", rows12).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(op_checks::disjoint("op", "y", rows01, "x", rows01).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(op_checks::disjoint("op", "y", rows01, "x", rows23).is_ok());
}

TEST(OpsChecks, UniformRowStride) {
  int64_t stride = -1;
  OwnedView t = make_tensor(Shape{2, 3, 8});
  EXPECT_TRUE(op_checks::uniform_row_stride(t, &stride));
  EXPECT_EQ(stride, 8);
  OwnedView padded = test::make_padded(Shape{2, 3, 8}, 2);  // rows 10 apart throughout
  EXPECT_TRUE(op_checks::uniform_row_stride(padded, &stride));
  EXPECT_EQ(stride, 10);
  OwnedView fused = make_tensor(Shape{2, 6, 8});
  const TensorView heads = fused.view.slice(1, 0, 3).value();
  EXPECT_FALSE(op_checks::uniform_row_stride(heads, &stride));  // 3 heads of 6: a gap per token
  TensorView one_row = heads;
  one_row.shape = Shape{1, 1, 8};
  EXPECT_TRUE(op_checks::uniform_row_stride(one_row, &stride));
  EXPECT_EQ(op_checks::cuda_rows("op", {&heads}).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace mistralrs
