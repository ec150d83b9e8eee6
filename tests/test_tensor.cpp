#include <gtest/gtest.h>

#include <cstdint>

#include "core/tensor.h"

namespace mistralrs {
namespace {

TEST(Tensor, EmptyIsAlignedZeroedAndContiguous) {
  auto t = Tensor::empty({3, 5}, DType::kF32);
  ASSERT_TRUE(t) << t.status().to_string();
  const Tensor& x = t.value();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(x.as<float>()) % kTensorAlignment, 0u);
  EXPECT_EQ(x.numel(), 15);
  EXPECT_EQ(x.nbytes(), 60u);
  EXPECT_TRUE(x.view().is_contiguous());
  EXPECT_EQ(x.view().strides[0], 5);
  EXPECT_EQ(x.view().strides[1], 1);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(x.as<float>()[i], 0.0f);
}

// Sizes whose rounding up to the alignment would wrap around are refused, not under-allocated.
TEST(Tensor, StorageSizeNearSizeMaxIsOutOfMemory) {
  for (size_t bytes : {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 63}) {
    auto s = AlignedStorage::create(bytes);
    ASSERT_FALSE(s) << bytes;
    EXPECT_EQ(s.status().code(), StatusCode::kOutOfMemory);
  }
}

TEST(Tensor, BlockTypeSizes) {
  auto t = Tensor::empty({4, 64}, DType::kQ8_0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t.value().nbytes(), 4u * 2 * 34);  // 2 blocks of 34 bytes per row
  // Row 2 starts after 2 rows of 2 blocks.
  EXPECT_EQ(static_cast<char*>(t.value().view().row(2)) - t.value().as<char>(), 2 * 2 * 34);
  auto bad = Tensor::empty({4, 40}, DType::kQ8_0);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("q8_0"), std::string::npos);
}

TEST(Tensor, NegativeDimensionIsAnError) {
  auto t = Tensor::empty({2, -1}, DType::kF32);
  EXPECT_FALSE(t);
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

TEST(Tensor, SliceKeepsStridesAndOffsets) {
  auto t = Tensor::empty({4, 6}, DType::kF32);
  ASSERT_TRUE(t);
  float* p = t.value().as<float>();
  for (int i = 0; i < 24; ++i) p[i] = static_cast<float>(i);
  // Columns 2..5 of rows 1..3: a strided view (row stride 6, 4 wide).
  auto rows = t.value().view().slice(0, 1, 3);
  ASSERT_TRUE(rows);
  auto cols = rows.value().slice(1, 2, 6);
  ASSERT_TRUE(cols);
  const TensorView& v = cols.value();
  EXPECT_EQ(v.shape, (Shape{2, 4}));
  EXPECT_FALSE(v.is_contiguous());
  EXPECT_EQ(v.as<float>()[0], 8.0f);                // element (1, 2)
  EXPECT_EQ(v.as<float>()[v.strides[0]], 14.0f);    // element (2, 2)
  EXPECT_FALSE(v.reshape({8}));                     // not contiguous
  EXPECT_FALSE(t.value().view().slice(1, 3, 7));    // past the end
  EXPECT_FALSE(t.value().view().slice(2, 0, 1));    // no such dimension
}

TEST(Tensor, ReshapeChecksCount) {
  auto t = Tensor::empty({2, 3, 4}, DType::kF32);
  ASSERT_TRUE(t);
  auto r = t.value().view().reshape({6, 4});
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().strides[0], 4);
  EXPECT_FALSE(t.value().view().reshape({5, 5}));
}

TEST(Tensor, CudaWithoutDeviceSupportIsAStatus) {
#ifndef MISTRALRS_HAS_CUDA
  auto t = Tensor::empty({2}, DType::kF32, Device::cuda(0));
  EXPECT_FALSE(t);
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
#else
  GTEST_SKIP() << "built with CUDA; device allocation is covered by the CUDA tests";
#endif
}

TEST(Status, ExpectedCarriesValueOrStatus) {
  Expected<int> good(5);
  EXPECT_TRUE(good);
  EXPECT_EQ(good.value(), 5);
  Expected<int> bad(io_error("nope"));
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kIo);
  EXPECT_EQ(bad.status().to_string(), "I/O error: nope");
}

}  // namespace
}  // namespace mistralrs
