// CUDA embedding against the CPU op on the same table (a lookup is exact: equality), for
// every weight dtype, strided ids and output rows, and ids outside the vocabulary (CUDA
// writes a row of zeros; the CPU op reports an error, so those rows are checked alone).
// Skipped without a device; the launcher argument checks run wherever CUDA is built.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/quant.h"
#include "core/tensor.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "common/cuda_test_util.h"
#include "cuda_memory.h"
#include "embedding.h"

namespace mistralrs {
namespace {

class CudaEmbedding : public ::testing::Test {
 protected:
  void SetUp() override {
    MISTRALRS_SKIP_WITHOUT_CUDA("the CUDA embedding tests");
  }
};

constexpr float kSentinel = -777.0f;

Tensor to_device(const Tensor& host) {
  auto d = Tensor::empty(host.shape(), host.dtype(), Device::cuda(0));
  EXPECT_TRUE(d) << d.status().to_string();
  if (!d) return Tensor();
  EXPECT_EQ(0, kernels::cuda_memcpy_h2d(d.value().view().data, host.view().data, host.nbytes()));
  return std::move(d.value());
}

// vocab x dim table of dtype t (rows padded by one block when pad_rows), ids with stride
// id_stride, y rows ldy = dim + y_pad apart. Out-of-range ids must give zero rows.
void check_lookup(DType t, int64_t dim, bool pad_rows, int64_t id_stride, int64_t y_pad,
                  const std::vector<int32_t>& ids) {
  SCOPED_TRACE(std::string(dtype_name(t)) + " dim " + std::to_string(dim));
  const int64_t vocab = 50, row = dim + (pad_rows ? dtype_info(t).block_elems : 0);
  auto table = Tensor::empty(Shape{vocab, row}, t);
  ASSERT_TRUE(table);
  std::mt19937 rng(static_cast<uint32_t>(dim));
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> src(static_cast<size_t>(row));
  for (int64_t r = 0; r < vocab; ++r) {
    for (float& v : src) v = u(rng);
    ASSERT_TRUE(quantize_row(t, src.data(), table.value().view().row(r), row));
  }
  const int64_t n = static_cast<int64_t>(ids.size()), ldy = dim + y_pad;
  auto id_host = Tensor::empty(Shape{std::max<int64_t>(n * id_stride, 1)}, DType::kI32);
  ASSERT_TRUE(id_host);
  for (int64_t i = 0; i < n; ++i) id_host.value().as<int32_t>()[i * id_stride] = ids[static_cast<size_t>(i)];
  std::vector<float> y(static_cast<size_t>(std::max<int64_t>(n * ldy, 1)), kSentinel);
  auto y_host = Tensor::empty(Shape{static_cast<int64_t>(y.size())}, DType::kF32);
  ASSERT_TRUE(y_host);
  std::memcpy(y_host.value().view().data, y.data(), y.size() * 4);
  Tensor td = to_device(table.value()), idd = to_device(id_host.value()), yd = to_device(y_host.value());
  ASSERT_TRUE(td.defined() && idd.defined() && yd.defined());

  TensorView tv = td.view();
  tv.shape = Shape{vocab, dim};  // the first dim values of each (padded) row
  TensorView iv(idd.view().data, DType::kI32, Shape{n}, Device::cuda(0));
  iv.strides[0] = id_stride;
  TensorView yv(yd.view().data, DType::kF32, Shape{n, dim}, Device::cuda(0));
  yv.strides[0] = ldy;
  const Status s = embedding(OpContext{}, tv, iv, yv);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
  ASSERT_EQ(0, kernels::cuda_memcpy_d2h(y.data(), yd.view().data, y.size() * 4));

  std::vector<float> want(static_cast<size_t>(row));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t id = ids[static_cast<size_t>(i)];
    const bool in_range = id >= 0 && id < vocab;
    if (in_range) {
      ASSERT_TRUE(dequantize_row(t, table.value().view().row(id), want.data(), row));
    }
    for (int64_t c = 0; c < ldy; ++c) {
      const float got = y[static_cast<size_t>(i * ldy + c)];
      const float expect = c >= dim ? kSentinel : in_range ? want[static_cast<size_t>(c)] : 0.0f;
      ASSERT_EQ(std::memcmp(&got, &expect, 4), 0)
          << "token " << i << " (id " << id << ") value " << c << ": expected " << expect << ", actual " << got;
    }
  }
}

int64_t dim_for(DType t) {
  if (t == DType::kQ4_K || t == DType::kQ6_K) return 768;
  return is_block_type(t) ? 96 : 17;
}

TEST_F(CudaEmbedding, LookupsEqualTheDequantizedRows) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K, DType::kQ6_K}) {
    check_lookup(t, dim_for(t), false, 1, 0, {3, 0, 49, 3, 17});
    check_lookup(t, dim_for(t), true, 2, 5, {1, 48, 1});
    check_lookup(t, dim_for(t), false, 1, 0, {});
  }
}

TEST_F(CudaEmbedding, OutOfRangeIdsGiveZeroRows) {
  for (DType t : {DType::kF32, DType::kQ8_0, DType::kQ6_K})
    check_lookup(t, dim_for(t), false, 1, 3, {-1, 2, 50, 1 << 30, 7});
}

TEST(CudaEmbeddingLauncher, RejectsBadArguments) {
  constexpr int kInvalid = 1;  // cudaErrorInvalidValue
  float buf[64] = {};
  const int32_t ids[2] = {0, 1};
  // dim not a whole number of q8_0 blocks; a row shorter than dim; odd table address.
  EXPECT_EQ(kInvalid, kernels::embedding(buf, 34, kernels::WeightFormat::kQ8_0, 2, 48, ids, 1, 2, buf, 48, nullptr));
  EXPECT_EQ(kInvalid, kernels::embedding(buf, 33, kernels::WeightFormat::kQ8_0, 2, 32, ids, 1, 2, buf, 32, nullptr));
  EXPECT_EQ(kInvalid, kernels::embedding(reinterpret_cast<const uint8_t*>(buf) + 1, 34, kernels::WeightFormat::kQ8_0,
                                         2, 32, ids, 1, 2, buf, 32, nullptr));
  EXPECT_EQ(kInvalid, kernels::embedding(buf, 64, kernels::WeightFormat::kF32, 2, 16, ids, 1, 2, buf, 8, nullptr));
  EXPECT_EQ(0, kernels::embedding(buf, 64, kernels::WeightFormat::kF32, 2, 16, ids, 1, 0, buf, 16, nullptr));
}

}  // namespace
}  // namespace mistralrs

#else  // !MISTRALRS_HAS_CUDA

TEST(CudaEmbedding, SkippedWithoutCuda) {
  GTEST_SKIP() << "this build of libmistralrs has no CUDA; the CUDA embedding tests did not run";
}

#endif  // MISTRALRS_HAS_CUDA
