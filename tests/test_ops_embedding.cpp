// embedding: hand-derived lookups for f32, f16, bf16 and a hand-built q8_0 table (op and
// reference), the op against the reference for every weight dtype, strided tables and
// outputs, pools, and the id / argument errors.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/op_test_util.h"
#include "core/quant.h"
#include "core/thread_pool.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::all_close;
using test::make_tensor;
using test::OwnedView;

OwnedView make_ids(const std::vector<int32_t>& ids) {
  OwnedView t = make_tensor(Shape{static_cast<int64_t>(ids.size())}, DType::kI32);
  if (!ids.empty()) std::memcpy(t.view.data, ids.data(), ids.size() * sizeof(int32_t));
  return t;
}

// Runs the op and the reference; both must give `expected` [n_tokens, dim].
void expect_embedding(const TensorView& table, const std::vector<int32_t>& ids,
                      const std::vector<float>& expected) {
  OwnedView id = make_ids(ids);
  const Shape out_shape{static_cast<int64_t>(ids.size()), table.dim(1)};
  OwnedView y = make_tensor(out_shape), y_ref = make_tensor(out_shape);
  const Status s = embedding(OpContext{}, table, id, y);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_TRUE(ref::embedding(table, id, y_ref).is_ok());
  EXPECT_TRUE(all_close(y, expected, {0, 0})) << "op";  // a lookup is exact
  EXPECT_TRUE(all_close(y_ref, expected, {0, 0})) << "reference";
}

// table rows [1, 2], [3, 4], [5, 6]; ids [2, 0, 2] -> [5, 6, 1, 2, 5, 6].
TEST(OpsEmbedding, HandDerivedF32) {
  OwnedView table = make_tensor(Shape{3, 2});
  test::fill_values(table.view, {1, 2, 3, 4, 5, 6});
  expect_embedding(table, {2, 0, 2}, {5, 6, 1, 2, 5, 6});
  expect_embedding(table, {}, {});
}

// Halves and bfloat16s of values they represent exactly: 0x3c00 = 1, 0xc000 = -2,
// 0x3800 = 0.5 (f16); 0x3f80 = 1, 0xc000 = -2, 0x3f00 = 0.5 (bf16).
TEST(OpsEmbedding, HandDerivedHalfTables) {
  for (DType t : {DType::kF16, DType::kBF16}) {
    SCOPED_TRACE(dtype_name(t));
    OwnedView table = make_tensor(Shape{2, 3}, t);
    const uint16_t half[6] = {0x3c00, 0xc000, 0x3800, 0x3800, 0x3c00, 0xc000};
    const uint16_t bf16[6] = {0x3f80, 0xc000, 0x3f00, 0x3f00, 0x3f80, 0xc000};
    std::memcpy(table.view.data, t == DType::kF16 ? half : bf16, sizeof(half));
    expect_embedding(table, {1, 0}, {0.5f, 1, -2, 1, -2, 0.5f});
  }
}

// q8_0 rows of 32: x[i] = d * qs[i]. Row 0: d = 1 (0x3c00), qs[i] = -i; row 1: d = 0.25
// (0x3400), qs[i] = i - 16 -> 0.25 * (i - 16).
TEST(OpsEmbedding, HandDerivedQ8_0) {
  OwnedView table = make_tensor(Shape{2, 32}, DType::kQ8_0);
  BlockQ8_0* blocks = static_cast<BlockQ8_0*>(table.view.data);
  blocks[0].d = 0x3c00;
  blocks[1].d = 0x3400;
  for (int i = 0; i < 32; ++i) {
    blocks[0].qs[i] = static_cast<int8_t>(-i);
    blocks[1].qs[i] = static_cast<int8_t>(i - 16);
  }
  std::vector<float> expected;
  for (int i = 0; i < 32; ++i) expected.push_back(0.25f * static_cast<float>(i - 16));
  for (int i = 0; i < 32; ++i) expected.push_back(static_cast<float>(-i));
  expect_embedding(table, {1, 0}, expected);
}

// A [vocab, dim] table of `type` built by quantize_row from random values, its rows
// `row_pad` elements apart (a whole number of blocks) so the table is row-strided.
OwnedView quantized_table(DType type, int64_t vocab, int64_t dim, int64_t row_pad) {
  OwnedView t = make_tensor(Shape{vocab, dim + row_pad}, type);
  std::mt19937 gen(17);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(dim + row_pad));
  for (int64_t r = 0; r < vocab; ++r) {
    for (float& x : row) x = dist(gen);
    EXPECT_TRUE(quantize_row(type, row.data(), t.view.row(r), dim + row_pad));
  }
  t.view.shape = Shape{vocab, dim};  // strides keep the padded row length
  return t;
}

TEST(OpsEmbedding, MatchesReferenceForEveryWeightDtype) {
  ThreadPool pool2(2);
  std::vector<int32_t> ids(200);
  std::mt19937 gen(5);
  for (int32_t& id : ids) id = static_cast<int32_t>(gen() % 7);
  ids[0] = 0, ids[1] = 6;  // both ends of the vocabulary
  OwnedView id = make_ids(ids);
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                     DType::kQ4_K, DType::kQ6_K})
    for (int64_t row_pad : {int64_t{0}, int64_t{256}})
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
        SCOPED_TRACE(std::string(dtype_name(type)) + " pad " + std::to_string(row_pad) +
                     (pool ? " pool=2" : ""));
        const OwnedView table = quantized_table(type, 7, 512, row_pad);
        OwnedView expected = make_tensor(Shape{200, 512});
        OwnedView y = test::make_padded(Shape{200, 512}, 9);
        ASSERT_TRUE(ref::embedding(table, id, expected).is_ok());
        const Status s = embedding(OpContext{pool, nullptr}, table, id, y);
        ASSERT_TRUE(s.is_ok()) << s.to_string();
        EXPECT_TRUE(all_close(y, expected, {0, 0}));
        EXPECT_TRUE(test::padding_intact(y));
      }
}

TEST(OpsEmbedding, IdOutOfRangeNamesIdAndVocab) {
  OwnedView table = make_tensor(Shape{7, 4}), y = make_tensor(Shape{3, 4});
  for (int32_t bad : {7, -1, 1 << 30}) {
    OwnedView id = make_ids({0, bad, 1});
    const Status s = embedding(OpContext{}, table, id, y);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("id " + std::to_string(bad)), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("[0, 7)"), std::string::npos) << s.message();
    EXPECT_EQ(ref::embedding(table, id, y).code(), StatusCode::kInvalidArgument);
  }
}

TEST(OpsEmbedding, ArgumentErrors) {
  const OpContext ctx;
  OwnedView table = make_tensor(Shape{7, 32}), y = make_tensor(Shape{2, 32});
  OwnedView id = make_ids({1, 2});
  EXPECT_EQ(embedding(ctx, table, id, y).code(), StatusCode::kOk);
  OwnedView id_f32 = make_tensor(Shape{2});
  EXPECT_EQ(embedding(ctx, table, id_f32, y).code(), StatusCode::kInvalidArgument);
  OwnedView y_f16 = make_tensor(Shape{2, 32}, DType::kF16), y_short = make_tensor(Shape{2, 16});
  EXPECT_EQ(embedding(ctx, table, id, y_f16).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(embedding(ctx, table, id, y_short).code(), StatusCode::kInvalidArgument);
  OwnedView table_i32 = make_tensor(Shape{7, 32}, DType::kI32);
  EXPECT_EQ(embedding(ctx, table_i32, id, y).code(), StatusCode::kInvalidArgument);
  OwnedView q8 = make_tensor(Shape{2, 64}, DType::kQ8_0);
  TensorView half_block = q8.view;  // 16 of a 32-element block per row
  half_block.shape = Shape{2, 16};
  EXPECT_EQ(embedding(ctx, half_block, id, y_short).code(), StatusCode::kInvalidArgument);
  OwnedView table1 = make_tensor(Shape{7 * 32});
  EXPECT_EQ(embedding(ctx, table1, id, y).code(), StatusCode::kInvalidArgument);  // rank 1
  TensorView y_on_table = y.view;  // output overlapping the table
  y_on_table.data = table.view.data;
  EXPECT_EQ(embedding(ctx, table, id, y_on_table).code(), StatusCode::kInvalidArgument);
  // Host memory labelled cuda:0: mixed devices are refused before any kernel could read it;
  // all on "CUDA" only without a CUDA build (test_cuda_embedding.cpp covers real devices).
  OwnedView tc = test::make_on_device(Shape{7, 32}, Device::cuda(0));
  EXPECT_EQ(embedding(ctx, tc, id, y).code(), StatusCode::kInvalidArgument);
#ifndef MISTRALRS_HAS_CUDA
  OwnedView ic = test::make_on_device(Shape{2}, Device::cuda(0), DType::kI32);
  OwnedView yc = test::make_on_device(Shape{2, 32}, Device::cuda(0));
  EXPECT_EQ(embedding(ctx, tc, ic, yc).code(), StatusCode::kUnsupported);
#endif
}

}  // namespace
}  // namespace mistralrs
