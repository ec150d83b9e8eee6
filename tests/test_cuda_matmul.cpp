// CUDA matmul (decode kernels, cuBLASLt prefill, dequantize-to-f16) against the plain
// double-precision reference ref::matmul (each weight row dequantized exactly by
// dequantize_row, dotted in double), for every weight dtype, the edge shapes of the brief
// and strided x, y and w rows; each case runs through the op (dispatch) and through both
// launchers directly (decode at any m, prefill at any m). Skipped without a device; the
// launcher argument checks run everywhere CUDA is built.
//
// Tolerance for y[r, c] with reference e and S = sum_i |x_i w_i| (abs_sum of ref::matmul):
//   |y - e| <= rtol * S + atol
// Decode (f32 math on exact weights): each thread chains 8 FMAs per unit, applies the
//   unit's scale (and q4_k's min, whose two terms can each reach ~3 S for these weights),
//   adds k / 1024 chunk partials, then a 128-way tree: depth <= 20 + k / 1024 roundings,
//   rtol = 4 (20 + ceil(k / 1024)) 2^-24 (x4 for q4_k's cancellation), atol = 1e-6.
// Prefill: cuBLASLt's f32 accumulation in an unknown order: gamma_k ~ (k + 64) 2^-24.
//   f32 w: rtol = (k + 64) 2^-24.
//   f16 w: x rounded to f16 (11 significant bits) adds u = 2^-11 per product (|x| >= 2^-14; below, an absolute
//          2^-25 |w_i|, hence atol += 2^-25 k max|w|): rtol = 2^-11 + (k + 64) 2^-24.
//   bf16 w: x rounded to bf16 (8 significant bits), u = 2^-8: rtol = 2^-8 + (k + 64) 2^-24.
//   block w: w rounded to f16 as well: rtol = 2 * 2^-11 + 2^-22 + (k + 64) 2^-24,
//          atol += 2^-25 k (max|x| + max|w|).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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
#include "matmul.h"
#include "ops/cpu/reference_matmul.h"

namespace mistralrs {
namespace {

class CudaMatmul : public ::testing::Test {
 protected:
  void SetUp() override {
    MISTRALRS_SKIP_WITHOUT_CUDA("the CUDA matmul tests");
  }
};

constexpr DType kTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                            DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};
constexpr float kSentinel = -12345.0f;
constexpr double kU24 = 5.9604644775390625e-8;  // 2^-24

enum class Path { kOp, kDecode, kPrefill };
const char* path_name(Path p) { return p == Path::kOp ? "op" : p == Path::kDecode ? "decode" : "prefill"; }

struct Case {
  int64_t m, n, k;
  int64_t x_pad = 0, y_pad = 0, w_pad_blocks = 0;
};

// Host problem: x [m, ldx], w [n, k] quantized from uniform values (rows w_stride values
// apart), expected y and S from ref::matmul.
struct Problem {
  Case c;
  DType t;
  int64_t ldx, ldy, w_stride, w_row_bytes;
  std::vector<float> x;
  std::vector<uint8_t> w;
  std::vector<double> expect, abs_sum;
};

Problem make_problem(DType t, const Case& c) {
  Problem p{c, t, c.k + c.x_pad, c.n + c.y_pad, 0, 0, {}, {}, {}, {}};
  p.w_stride = c.k + c.w_pad_blocks * dtype_info(t).block_elems;
  p.w_row_bytes = dtype_bytes(t, p.w_stride);
  std::mt19937 rng(static_cast<uint32_t>(c.m * 131 + c.n * 7 + c.k));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  p.x.resize(static_cast<size_t>(std::max<int64_t>(c.m * p.ldx, 1)));
  for (float& v : p.x) v = u(rng);
  std::vector<float> row(static_cast<size_t>(p.w_stride));
  p.w.resize(static_cast<size_t>(std::max<int64_t>(c.n * p.w_row_bytes, 2)));
  for (int64_t r = 0; r < c.n; ++r) {
    for (float& v : row) v = 0.5f * u(rng);
    EXPECT_TRUE(quantize_row(t, row.data(), p.w.data() + r * p.w_row_bytes, p.w_stride));
  }
  p.expect.assign(static_cast<size_t>(c.m * p.ldy), 0.0);
  p.abs_sum.assign(p.expect.size(), 0.0);
  EXPECT_TRUE(ref::matmul(p.x.data(), p.ldx, p.w.data(), t, p.w_row_bytes, p.expect.data(), p.ldy,
                          c.m, c.n, c.k, p.abs_sum.data()));
  return p;
}

struct Tol {
  double rtol, atol;
};

Tol tolerance(DType t, int64_t k, bool prefill) {
  const double kd = static_cast<double>(k);
  if (!prefill) return {4.0 * (20.0 + std::ceil(kd / 1024.0)) * kU24, 1e-6};
  const double gamma = (kd + 64.0) * kU24;
  switch (t) {
    case DType::kF32: return {gamma, 1e-6};
    case DType::kF16: return {std::ldexp(1.0, -11) + gamma, std::ldexp(1.0, -25) * kd * 0.5 + 1e-6};
    case DType::kBF16: return {std::ldexp(1.0, -8) + gamma, 1e-6};
    default: return {2.0 * std::ldexp(1.0, -11) + std::ldexp(1.0, -22) + gamma, std::ldexp(1.0, -25) * kd * 1.5 + 1e-6};
  }
}

Tensor upload(const void* host, size_t bytes) {
  auto t = Tensor::empty(Shape{static_cast<int64_t>((bytes + 3) / 4)}, DType::kF32, Device::cuda(0));
  EXPECT_TRUE(t) << t.status().to_string();
  if (!t) return Tensor();
  EXPECT_EQ(0, kernels::cuda_memcpy_h2d(t.value().view().data, host, bytes));
  return std::move(t.value());
}

// Runs one case on one path and compares every output (and that y's padding is intact).
void run_case(DType t, const Case& c, Path path) {
  const Problem p = make_problem(t, c);
  const std::string what = std::string(dtype_name(t)) + " m=" + std::to_string(c.m) + " n=" +
                           std::to_string(c.n) + " k=" + std::to_string(c.k) + " pads " +
                           std::to_string(c.x_pad) + "/" + std::to_string(c.y_pad) + "/" +
                           std::to_string(c.w_pad_blocks) + " via " + path_name(path);
  SCOPED_TRACE(what);
  std::vector<float> y_host(p.expect.size(), kSentinel);
  Tensor xd = upload(p.x.data(), p.x.size() * 4), wd = upload(p.w.data(), p.w.size());
  Tensor yd = upload(y_host.data(), std::max<size_t>(y_host.size(), 1) * 4);
  ASSERT_TRUE(xd.defined() && wd.defined() && yd.defined());
  const bool prefill = path == Path::kPrefill || (path == Path::kOp && c.m > kernels::kDecodeMaxRows && c.k > 0);
  if (path == Path::kOp) {
    TensorView xv(xd.view().data, DType::kF32, Shape{c.m, c.k}, Device::cuda(0));
    xv.strides[0] = p.ldx;
    TensorView wv(wd.view().data, t, Shape{c.n, c.k}, Device::cuda(0));
    wv.strides[0] = p.w_stride;
    TensorView yv(yd.view().data, DType::kF32, Shape{c.m, c.n}, Device::cuda(0));
    yv.strides[0] = p.ldy;
    const Status s = matmul(OpContext{}, xv, wv, yv);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  } else {
    kernels::MatmulLaunch a;
    a.x = static_cast<const float*>(xd.view().data), a.ldx = p.ldx;
    a.w = wd.view().data, a.w_row_bytes = p.w_row_bytes;
    a.w_format = static_cast<kernels::WeightFormat>(static_cast<int32_t>(t));
    a.y = static_cast<float*>(yd.view().data), a.ldy = p.ldy;
    a.m = c.m, a.n = c.n, a.k = c.k;
    int detail = 0;
    const int err = path == Path::kDecode ? kernels::matmul_decode(a, nullptr) : kernels::matmul_prefill(a, nullptr, &detail);
    ASSERT_EQ(err, 0) << kernels::cuda_error_string(err) << (detail ? std::string(" cuBLAS: ") + kernels::cublas_status_string(detail) : "");
  }
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
  ASSERT_EQ(0, kernels::cuda_memcpy_d2h(y_host.data(), yd.view().data, y_host.size() * 4));
  const Tol tol = tolerance(t, c.k, prefill);
  int64_t bad = 0, worst = -1;
  double worst_ratio = 0.0;
  for (int64_t r = 0; r < c.m; ++r) {
    for (int64_t col = 0; col < p.ldy; ++col) {
      const size_t i = static_cast<size_t>(r * p.ldy + col);
      if (col >= c.n) {
        ASSERT_EQ(y_host[i], kSentinel) << "wrote y padding at row " << r << " col " << col;
        continue;
      }
      const double bound = tol.rtol * p.abs_sum[i] + tol.atol, err = std::fabs(y_host[i] - p.expect[i]);
      if (!(err <= bound)) {
        ++bad;
        const double ratio = std::isnan(err) ? INFINITY : err / bound;
        if (worst < 0 || ratio > worst_ratio) worst_ratio = ratio, worst = static_cast<int64_t>(i);
      }
    }
  }
  if (bad > 0) {
    const size_t i = static_cast<size_t>(worst);
    ADD_FAILURE() << bad << " outputs out of tolerance; worst at (row " << worst / p.ldy << ", col "
                  << worst % p.ldy << "): expected " << p.expect[i] << ", actual " << y_host[i]
                  << ", |diff| " << std::fabs(y_host[i] - p.expect[i]) << ", tol " << tol.rtol << " * S "
                  << p.abs_sum[i] << " + " << tol.atol;
  }
}

// "One block" of each type, a k that is not a multiple of 256 (q8_0/q4_0: 96), of 8 (plain:
// the partial-unit path) or whose rows are not 16-byte multiples (q6_k: 3 blocks = 630 B).
int64_t small_k(DType t) { return is_block_type(t) ? dtype_info(t).block_elems : 3; }
int64_t odd_k(DType t) {
  if (t == DType::kQ8_0 || t == DType::kQ4_0) return 96;
  return is_block_type(t) ? 768 : 1003;
}

std::vector<Case> cases_for(DType t) {
  const int64_t ks = small_k(t), ko = odd_k(t);
  std::vector<Case> cs;
  for (int64_t m : {1, 2, 3, 5, 8, 9, 33}) {
    cs.push_back({m, 7, ks});
    cs.push_back({m, 7, ko});
    cs.push_back({m, 33, 4096});
  }
  cs.push_back({1, 1, ks});
  cs.push_back({3, 1, 4096});
  cs.push_back({1, 4100, 4096});
  cs.push_back({8, 4100, 4096});
  cs.push_back({9, 4100, 4096});
  cs.push_back({300, 7, ko});
  cs.push_back({300, 130, 4096});
  cs.push_back({3, 7, ko, 5, 3, 0});       // strided x and y
  cs.push_back({33, 9, 4096, 4, 1, 0});    // strided, prefill (y rows not 16-byte aligned)
  cs.push_back({2, 7, ko, 0, 0, 1});       // w rows padded by one block (misaligned rows)
  cs.push_back({40, 7, ko, 8, 4, 1});      // all three strided, prefill
  cs.push_back({5, 7, 0});                 // k = 0: y = 0
  return cs;
}

TEST_F(CudaMatmul, OpMatchesReference) {
  for (DType t : kTypes)
    for (const Case& c : cases_for(t)) run_case(t, c, Path::kOp);
}

TEST_F(CudaMatmul, DecodeKernelAtEveryRowCount) {
  for (DType t : kTypes)
    for (const Case& c : cases_for(t)) run_case(t, c, Path::kDecode);
}

TEST_F(CudaMatmul, PrefillAtEveryRowCount) {
  for (DType t : kTypes)
    for (const Case& c : cases_for(t)) run_case(t, c, Path::kPrefill);
}

// dequantize_to_f16 equals dequantize_row then fp32_to_fp16 (round to nearest even), exactly.
TEST_F(CudaMatmul, DequantizeToF16IsExact) {
  for (DType t : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_K, DType::kQ6_K}) {
    SCOPED_TRACE(dtype_name(t));
    const Problem p = make_problem(t, {1, 37, 768, 0, 0, 1});
    const int64_t n = p.c.n, k = p.c.k;
    Tensor wd = upload(p.w.data(), p.w.size());
    auto out = Tensor::empty(Shape{n, k}, DType::kF16, Device::cuda(0));
    ASSERT_TRUE(out) << out.status().to_string();
    ASSERT_EQ(0, kernels::dequantize_to_f16(wd.view().data, p.w_row_bytes, static_cast<kernels::WeightFormat>(static_cast<int32_t>(t)),
                                            n, k, out.value().as<uint16_t>(), nullptr));
    std::vector<uint16_t> got(static_cast<size_t>(n * k));
    ASSERT_EQ(0, kernels::cuda_memcpy_d2h(got.data(), out.value().as<uint16_t>(), got.size() * 2));
    std::vector<float> row(static_cast<size_t>(k));
    for (int64_t r = 0; r < n; ++r) {
      ASSERT_TRUE(dequantize_row(t, p.w.data() + r * p.w_row_bytes, row.data(), k));
      for (int64_t i = 0; i < k; ++i)
        ASSERT_EQ(got[static_cast<size_t>(r * k + i)], fp32_to_fp16(row[static_cast<size_t>(i)])) << "row " << r << " value " << i;
    }
  }
}

// The launchers refuse what they cannot run before touching the device (runs without one).
TEST(CudaMatmulLaunchers, RejectBadArguments) {
  constexpr int kInvalid = 1;  // cudaErrorInvalidValue
  float buf[64] = {};
  kernels::MatmulLaunch a;
  a.x = buf, a.ldx = 32, a.w = buf, a.w_row_bytes = 34, a.y = buf, a.ldy = 4, a.m = 1, a.n = 1, a.k = 32;
  a.w_format = kernels::WeightFormat::kQ8_0;
  kernels::MatmulLaunch b = a;
  b.k = 48;  // not a whole number of q8_0 blocks
  EXPECT_EQ(kInvalid, kernels::matmul_decode(b, nullptr));
  EXPECT_EQ(kInvalid, kernels::matmul_prefill(b, nullptr, nullptr));
  b = a, b.w_row_bytes = 33;  // shorter than a row
  EXPECT_EQ(kInvalid, kernels::matmul_decode(b, nullptr));
  b = a, b.ldx = 31;
  EXPECT_EQ(kInvalid, kernels::matmul_decode(b, nullptr));
  b = a, b.w = reinterpret_cast<const uint8_t*>(buf) + 1;  // odd address
  EXPECT_EQ(kInvalid, kernels::matmul_decode(b, nullptr));
  b = a, b.w_format = static_cast<kernels::WeightFormat>(3);  // i32 is not a weight format
  EXPECT_EQ(kInvalid, kernels::matmul_decode(b, nullptr));
  b = a, b.m = 0;  // nothing to do is success
  EXPECT_EQ(0, kernels::matmul_decode(b, nullptr));
  EXPECT_EQ(kInvalid, kernels::dequantize_to_f16(buf, 34, kernels::WeightFormat::kF16, 1, 32,
                                                 reinterpret_cast<uint16_t*>(buf), nullptr));
}

}  // namespace
}  // namespace mistralrs

#else  // !MISTRALRS_HAS_CUDA

TEST(CudaMatmul, SkippedWithoutCuda) {
  GTEST_SKIP() << "this build of libmistralrs has no CUDA; the CUDA matmul tests did not run";
}

#endif  // MISTRALRS_HAS_CUDA
