// matmul against the plain double-precision reference (ref::matmul: dequantize each weight
// row exactly, dot in double), for every weight dtype, edge shapes, strided views, with and
// without a thread pool, and on every SIMD path this CPU has.
//
// Tolerance for an output y[r, c] with reference e = sum_i x_i w_i and S = sum_i |x_i w_i|:
//   |y - e| <= A + rtol * S + atol
//   rtol = 4 (k / 8 + 32) 2^-24: f32 summation error of the kernels (each of >= 8 lanes sums
//          k / 8 products, then a short tree and up to k / 512 partial sums), x4 for the
//          products of scales the integer paths form in f32 and the cancellation between
//          the scale and min terms of q4_k.
//   A    = 0 on the f32-FMA paths (weights are converted exactly). On the int8 paths each
//          activation block B (32 values for q8_0/q4_0, 256 for k-quants) is rounded to
//          s_B * q with s_B = amax_B / 127, |x_i - s_B q_i| <= s_B / 2, hence
//          |sum_{i in B} w_i (x_i - s_B q_i)| <= s_B / 2 * sum_{i in B} |w_i|, and A is the
//          sum of that over the blocks of the row.
//   atol = 1e-6.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/quant.h"
#include "ops/cpu/matmul_cpu.h"
#include "ops/cpu/reference_matmul.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using cpu::MatmulIsa;

constexpr float kSentinel = -12345.0f;  // padding of strided y that must survive

struct Problem {
  int64_t m, n, k, ldx, ldy;
  DType w_type;
  std::vector<float> x;         // [m, ldx]
  std::vector<float> w_f32;     // [n, k] before quantization
  std::vector<uint8_t> w;       // [n, k] of w_type
  std::vector<double> expect;   // [m, n]
  std::vector<double> abs_sum;  // [m, n]
};

Problem make_problem(DType t, int64_t m, int64_t n, int64_t k, int64_t x_pad = 0, int64_t y_pad = 0,
                     uint32_t seed = 7) {
  Problem p{m, n, k, k + x_pad, n + y_pad, t, {}, {}, {}, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  p.x.resize(static_cast<size_t>(m * p.ldx));
  for (float& v : p.x) v = u(rng);
  p.w_f32.resize(static_cast<size_t>(n * k));
  for (float& v : p.w_f32) v = u(rng) * 0.5f;
  const int64_t row_bytes = dtype_bytes(t, k);
  p.w.resize(static_cast<size_t>(n * row_bytes));
  for (int64_t c = 0; c < n; ++c)
    EXPECT_TRUE(quantize_row(t, p.w_f32.data() + c * k, p.w.data() + c * row_bytes, k));
  p.expect.resize(static_cast<size_t>(m * n));
  p.abs_sum.resize(static_cast<size_t>(m * n));
  EXPECT_TRUE(ref::matmul(p.x.data(), p.ldx, p.w.data(), t, row_bytes, p.expect.data(), n, m, n, k,
                          p.abs_sum.data()));
  return p;
}

// Bound A above for row r, column c (activation blocks of `block` values).
double activation_bound(const Problem& p, int64_t r, int64_t c, int block) {
  std::vector<float> wrow(static_cast<size_t>(p.k));
  dequantize_row(p.w_type, p.w.data() + c * dtype_bytes(p.w_type, p.k), wrow.data(), p.k);
  double bound = 0.0;
  for (int64_t b0 = 0; b0 < p.k; b0 += block) {
    double amax = 0.0, wsum = 0.0;
    for (int64_t i = b0; i < b0 + block; ++i) {
      amax = std::max(amax, std::fabs(static_cast<double>(p.x[static_cast<size_t>(r * p.ldx + i)])));
      wsum += std::fabs(static_cast<double>(wrow[static_cast<size_t>(i)]));
    }
    bound += amax / 127.0 / 2.0 * wsum;
  }
  return bound;
}

bool int8_path(DType t, MatmulIsa isa, bool dequantize) {
  return is_block_type(t) && !dequantize && isa != MatmulIsa::kScalar;
}

// Checks y [m, ldy] against the reference; reports the worst element.
void expect_close(const Problem& p, const std::vector<float>& y, bool int8, const std::string& what) {
  const double rtol = 4.0 * (static_cast<double>(p.k) / 8.0 + 32.0) * std::ldexp(1.0, -24), atol = 1e-6;
  const int block = p.w_type == DType::kQ4_K || p.w_type == DType::kQ6_K ? 256 : 32;
  double worst_ratio = 0.0;
  int64_t wr = 0, wc = 0;
  double worst_tol = 0.0;
  for (int64_t r = 0; r < p.m; ++r) {
    for (int64_t c = 0; c < p.n; ++c) {
      const double e = p.expect[static_cast<size_t>(r * p.n + c)];
      const double got = y[static_cast<size_t>(r * p.ldy + c)];
      double tol = atol + rtol * p.abs_sum[static_cast<size_t>(r * p.n + c)];
      if (int8) tol += activation_bound(p, r, c, block);
      const double ratio = std::fabs(got - e) / tol;
      if (!(ratio <= worst_ratio)) worst_ratio = ratio, wr = r, wc = c, worst_tol = tol;
    }
    for (int64_t c = p.n; c < p.ldy; ++c)
      ASSERT_EQ(y[static_cast<size_t>(r * p.ldy + c)], kSentinel) << what << ": padding written at " << r << "," << c;
  }
  EXPECT_LE(worst_ratio, 1.0) << what << ": worst at [" << wr << ", " << wc << "] expected "
                              << p.expect[static_cast<size_t>(wr * p.n + wc)] << " got "
                              << y[static_cast<size_t>(wr * p.ldy + wc)] << " tolerance " << worst_tol;
}

std::vector<MatmulIsa> isas_here(DType t, bool dequantize) {
  std::vector<MatmulIsa> out;
  for (MatmulIsa isa : {MatmulIsa::kScalar, MatmulIsa::kAvx2, MatmulIsa::kAvx512})
    if (cpu::matmul_isa_supported(isa, t, dequantize)) out.push_back(isa);
  return out;
}

// Runs p through cpu::matmul with a forced path and checks it.
void run_forced(const Problem& p, ThreadPool* pool, MatmulIsa isa, bool dequantize) {
  std::vector<float> y(static_cast<size_t>(p.m * p.ldy), kSentinel);
  cpu::MatmulArgs a;
  a.x = p.x.data(), a.ldx = p.ldx, a.w = p.w.data(), a.w_row_bytes = dtype_bytes(p.w_type, p.k);
  a.w_type = p.w_type, a.y = y.data(), a.ldy = p.ldy, a.m = p.m, a.n = p.n, a.k = p.k;
  const Status s = cpu::matmul(pool, a, cpu::MatmulOptions{isa, dequantize});
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  const std::string what = std::string(dtype_name(p.w_type)) + " m=" + std::to_string(p.m) +
                           " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) + " isa=" +
                           cpu::matmul_isa_name(isa) + (dequantize ? " dequant" : "") +
                           (pool ? " pool=2" : " pool=null");
  expect_close(p, y, int8_path(p.w_type, isa, dequantize), what);
}

std::vector<int64_t> k_values(DType t) {
  switch (dtype_info(t).block_elems) {
    case 32: return {32, 96, 544};      // one block, an odd count (pair tail), many
    case 256: return {256, 768};        // one super-block, several
    default: return {1, 16, 33, 1057};  // below / at / past the vector width, > one k span
  }
}

const DType kAllTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                           DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};

class MatmulAllTypes : public ::testing::TestWithParam<DType> {};

// Every shape x path x pool, strided x (ldx = k + 3) and y (ldy = n + 5).
TEST_P(MatmulAllTypes, MatchesReferenceOnEveryPath) {
  const DType t = GetParam();
  ThreadPool pool(2);
  for (int64_t k : k_values(t))
    for (int64_t m : {1, 3, 37})
      for (int64_t n : {1, 7, 65}) {
        const Problem p = make_problem(t, m, n, k, 3, 5, static_cast<uint32_t>(m * 131 + n * 7 + k));
        for (bool dequantize : {false, true}) {
          if (dequantize && !is_block_type(t)) continue;
          for (MatmulIsa isa : isas_here(t, dequantize))
            for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) run_forced(p, tp, isa, dequantize);
        }
      }
}

// Panels of x (m past the 128-row float panel and the int8 panel at k = 2048) and wide n.
TEST_P(MatmulAllTypes, LargeShapesSplitAcrossThreads) {
  const DType t = GetParam();
  ThreadPool pool(2);
  const Problem p = make_problem(t, 130, 67, 2048);
  for (MatmulIsa isa : isas_here(t, false)) run_forced(p, &pool, isa, false);
}

// The op entry: views with a row stride (x, y, and w as the first k columns of a wider
// matrix: one extra block per row), 3-D x, auto path.
TEST_P(MatmulAllTypes, OpWithStridedViews) {
  const DType t = GetParam();
  const int64_t block = dtype_info(t).block_elems;
  const int64_t k = block == 1 ? 40 : block * 2;
  const Problem p = make_problem(t, 6, 9, k, 8, 3);
  std::vector<float> y(static_cast<size_t>(p.m * p.ldy), kSentinel);
  std::vector<float> x = p.x;
  const int64_t row_bytes = dtype_bytes(t, k), wide_bytes = dtype_bytes(t, k + block);
  std::vector<uint8_t> w(static_cast<size_t>(p.n * wide_bytes), 0xAB);
  for (int64_t c = 0; c < p.n; ++c)
    std::copy_n(p.w.data() + c * row_bytes, row_bytes, w.data() + c * wide_bytes);
  TensorView xv(x.data(), DType::kF32, Shape{2, 3, k});
  xv.strides = {3 * p.ldx, p.ldx, 1, 0};
  TensorView wv(w.data(), t, Shape{p.n, k});
  wv.strides[0] = k + block;
  TensorView yv(y.data(), DType::kF32, Shape{p.m, p.n});
  yv.strides[0] = p.ldy;
  ThreadPool pool(2);
  for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
    OpContext ctx;
    ctx.pool = tp;
    const Status s = matmul(ctx, xv, wv, yv);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    expect_close(p, y, int8_path(t, cpu::matmul_best_isa(t), false), "op " + std::string(dtype_name(t)));
  }
}

INSTANTIATE_TEST_SUITE_P(Matmul, MatmulAllTypes, ::testing::ValuesIn(kAllTypes),
                         [](const ::testing::TestParamInfo<DType>& i) { return std::string(dtype_name(i.param)); });

// ---- argument errors -----------------------------------------------------------------------

struct Views {
  std::vector<float> x = std::vector<float>(4 * 64), y = std::vector<float>(4 * 8);
  std::vector<uint8_t> w = std::vector<uint8_t>(8 * 64 * 4);
};

void expect_invalid(const Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("matmul"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(needle), std::string::npos) << "'" << needle << "' not in: " << s.message();
}

TEST(Matmul, MismatchedKIsInvalid) {
  Views v;
  const Status s = matmul({}, TensorView(v.x.data(), DType::kF32, {4, 64}),
                          TensorView(v.w.data(), DType::kQ8_0, {8, 96}), TensorView(v.y.data(), DType::kF32, {4, 8}));
  expect_invalid(s, "[4, 64]");
  EXPECT_NE(s.message().find("[8, 96]"), std::string::npos) << s.message();
}

TEST(Matmul, WrongDtypesAreInvalid) {
  Views v;
  const TensorView x(v.x.data(), DType::kF32, {4, 64}), y(v.y.data(), DType::kF32, {4, 8});
  const TensorView w(v.w.data(), DType::kF32, {8, 64});
  expect_invalid(matmul({}, TensorView(v.x.data(), DType::kF16, {4, 64}), w, y), "f16");
  expect_invalid(matmul({}, x, w, TensorView(v.y.data(), DType::kBF16, {4, 8})), "bf16");
  expect_invalid(matmul({}, x, TensorView(v.w.data(), DType::kI32, {8, 64}), y), "i32");
}

TEST(Matmul, KNotWholeBlocksIsInvalid) {
  Views v;
  const Status s = matmul({}, TensorView(v.x.data(), DType::kF32, {4, 48}),
                          TensorView(v.w.data(), DType::kQ4_0, {8, 48}), TensorView(v.y.data(), DType::kF32, {4, 8}));
  expect_invalid(s, "blocks");
}

TEST(Matmul, ShapeAndLayoutErrorsAreInvalid) {
  Views v;
  const TensorView x(v.x.data(), DType::kF32, {4, 64}), w(v.w.data(), DType::kF32, {8, 64});
  // y with the wrong column count, and with a different number of rows than x.
  expect_invalid(matmul({}, x, w, TensorView(v.y.data(), DType::kF32, {4, 7})), "[4, 7]");
  expect_invalid(matmul({}, x, w, TensorView(v.y.data(), DType::kF32, {2, 8})), "rows");
  // w of rank 3, y aliasing x.
  expect_invalid(matmul({}, x, TensorView(v.w.data(), DType::kF32, {2, 4, 64}), TensorView(v.y.data(), DType::kF32, {4, 2, 4})),
                 "rank");
  expect_invalid(matmul({}, TensorView(v.x.data(), DType::kF32, {4, 8}), TensorView(v.w.data(), DType::kF32, {8, 8}),
                        TensorView(v.x.data(), DType::kF32, {4, 8})),
                 "overlaps");
}

#ifndef MISTRALRS_HAS_CUDA
// Without CUDA in the build, CUDA views are refused before anything is read. (With CUDA
// the dispatch is covered by tests/test_cuda_matmul.cpp on real device memory: these views
// are host memory and must never reach a kernel.)
TEST(Matmul, CudaTensorsUnsupportedWithoutCudaBuild) {
  Views v;
  const Device gpu = Device::cuda(0);
  const Status s = matmul({}, TensorView(v.x.data(), DType::kF32, {4, 64}, gpu),
                          TensorView(v.w.data(), DType::kF32, {8, 64}, gpu), TensorView(v.y.data(), DType::kF32, {4, 8}, gpu));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
}
#endif

TEST(Matmul, EmptyKWritesZeros) {
  std::vector<float> y(6, 1.0f);
  float dummy = 0.0f;
  const Status s = matmul({}, TensorView(&dummy, DType::kF32, {2, 0}), TensorView(&dummy, DType::kF16, {3, 0}),
                          TensorView(y.data(), DType::kF32, {2, 3}));
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace mistralrs
