// The vec kernel tables (generic, AVX2, AVX-512 where the host has them) against double
// loops, over lengths around every vector width, so each table's tail handling is run.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "ops/cpu/vec.h"

namespace mistralrs::cpu {
namespace {

std::vector<const VecKernels*> tables() {
  std::vector<const VecKernels*> t = {&vec_generic()};
  if (vec_avx2()) t.push_back(vec_avx2());
  if (vec_avx512()) t.push_back(vec_avx512());
  return t;
}

const std::vector<int64_t> kLengths = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 4097};

std::vector<float> random_vec(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(gen);
  return v;
}

// Rounding bound of an f32 sum of n terms in any order: (n + 16) * 2^-24 * sum |terms|.
double sum_bound(int64_t n, double abs_sum) { return (n + 16) * 6e-8 * abs_sum + 1e-30; }

TEST(OpsVec, ReductionsMatchDouble) {
  for (const VecKernels* vk : tables())
    for (int64_t n : kLengths) {
      SCOPED_TRACE(std::string(vk->name) + " n=" + std::to_string(n));
      const std::vector<float> a = random_vec(n, 1, -2, 2), b = random_vec(n, 2, -2, 2);
      double dot = 0, dot_abs = 0, sum = 0, sum_abs = 0, sq = 0, sqd = 0, mx = -INFINITY;
      for (int64_t i = 0; i < n; ++i) {
        const double x = a[static_cast<size_t>(i)], y = b[static_cast<size_t>(i)];
        dot += x * y, dot_abs += std::fabs(x * y), sum += x, sum_abs += std::fabs(x);
        sq += x * x, sqd += (x - 0.25) * (x - 0.25), mx = std::fmax(mx, x);
      }
      EXPECT_NEAR(vk->dot(a.data(), b.data(), n), dot, sum_bound(n, dot_abs));
      EXPECT_NEAR(vk->sum(a.data(), n), sum, sum_bound(n, sum_abs));
      EXPECT_NEAR(vk->sum_squares(a.data(), n), sq, sum_bound(n, sq));
      EXPECT_NEAR(vk->sum_sq_diff(a.data(), 0.25f, n), sqd, sum_bound(n, sqd) * 2);
      EXPECT_EQ(vk->max(a.data(), n), static_cast<float>(mx));
    }
}

TEST(OpsVec, ExpShiftSumMatchesDouble) {
  for (const VecKernels* vk : tables())
    for (int64_t n : kLengths) {
      SCOPED_TRACE(std::string(vk->name) + " n=" + std::to_string(n));
      std::vector<float> x = random_vec(n, 3, -80, 10), y(static_cast<size_t>(n), -1.0f);
      const float s = vk->exp_shift_sum(x.data(), 5.0f, y.data(), n);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double arg = double(x[static_cast<size_t>(i)]) - 5.0, e = std::exp(arg);
        sum += e;
        // A few ulps for exp itself, plus the f32 rounding of x - shift (|arg| 2^-24 absolute
        // in the argument, the same relative error in the result).
        ASSERT_NEAR(y[static_cast<size_t>(i)], e, (1e-6 + 6e-8 * std::fabs(arg)) * e + 1e-37) << "i=" << i;
      }
      EXPECT_NEAR(s, sum, sum_bound(n, sum) + 2e-6 * sum);
    }
}

// exp of the special arguments: 0 -> 1 exactly enough, below ln(FLT_MIN) and -inf -> 0,
// NaN stays NaN.
TEST(OpsVec, ExpEdgeArguments) {
  for (const VecKernels* vk : tables()) {
    SCOPED_TRACE(vk->name);
    std::vector<float> x = {0.0f, -90.0f, -INFINITY, 1.0f, -87.0f, NAN, -1e30f, 0.5f, 2.0f};
    std::vector<float> y(x.size());
    vk->exp_shift_sum(x.data(), 0.0f, y.data(), static_cast<int64_t>(x.size()));
    EXPECT_NEAR(y[0], 1.0f, 1e-7f);
    EXPECT_LE(y[1], 1e-38f);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_NEAR(y[3], 2.718281828f, 3e-7f);
    EXPECT_NEAR(y[4], 1.6458115e-38f, 1e-43f);
    EXPECT_TRUE(std::isnan(y[5]));
    EXPECT_EQ(y[6], 0.0f);
  }
}

TEST(OpsVec, ElementwiseMatchDouble) {
  for (const VecKernels* vk : tables())
    for (int64_t n : kLengths) {
      SCOPED_TRACE(std::string(vk->name) + " n=" + std::to_string(n));
      const std::vector<float> x = random_vec(n, 4, -20, 20), w = random_vec(n, 5, -2, 2);
      std::vector<float> sc(x.size()), sm(x.size()), ax = w, si(x.size()), ge(x.size());
      vk->scale(x.data(), 0.5f, sc.data(), n);
      vk->scale_mul(x.data(), 0.25f, w.data(), sm.data(), n);
      vk->axpy(-3.0f, x.data(), ax.data(), n);
      vk->silu(x.data(), si.data(), n);
      vk->gelu_tanh(x.data(), ge.data(), n);
      const double k = std::sqrt(2.0 / std::numbers::pi);
      for (size_t i = 0; i < x.size(); ++i) {
        const double v = x[i];
        ASSERT_EQ(sc[i], x[i] * 0.5f);
        ASSERT_NEAR(sm[i], v * 0.25 * w[i], 1e-6 * std::fabs(v * w[i]) + 1e-30);
        ASSERT_NEAR(ax[i], w[i] - 3.0 * v, 1e-6 * (std::fabs(w[i]) + std::fabs(3 * v)));
        ASSERT_NEAR(si[i], v / (1 + std::exp(-v)), 2e-6 * std::fabs(v / (1 + std::exp(-v))) + 1e-7);
        const double g = 0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v)));
        ASSERT_NEAR(ge[i], g, 2e-6 * std::fabs(g) + 1e-7) << "x=" << v;
      }
    }
}

TEST(OpsVec, BestIsTheWidestAvailable) {
  const VecKernels& best = vec_best();
  if (vec_avx512()) EXPECT_EQ(&best, vec_avx512());
  else if (vec_avx2()) EXPECT_EQ(&best, vec_avx2());
  else EXPECT_EQ(&best, &vec_generic());
}

}  // namespace
}  // namespace mistralrs::cpu
