// Portable vec kernels: plain loops with several independent accumulators so that the
// compiler can keep them in SSE registers; std::exp for the transcendental parts.
#include "ops/cpu/vec.h"

#include <cmath>
#include <limits>

namespace mistralrs::cpu {

namespace {

constexpr int kLanes = 8;  // independent partial sums; summed pairwise at the end

float reduce_lanes(const float* acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

float dot(const float* a, const float* b, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) acc[k] += a[i + k] * b[i + k];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return reduce_lanes(acc);
}

float sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) acc[k] += x[i + k];
  for (; i < n; ++i) acc[0] += x[i];
  return reduce_lanes(acc);
}

float sum_squares(const float* x, int64_t n) { return dot(x, x, n); }

float sum_sq_diff(const float* x, float c, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) {
      const float d = x[i + k] - c;
      acc[k] += d * d;
    }
  for (; i < n; ++i) acc[0] += (x[i] - c) * (x[i] - c);
  return reduce_lanes(acc);
}

float max(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float exp_shift_sum(const float* x, float shift, float* y, int64_t n) {
  float acc[kLanes] = {};
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - shift);
    acc[i % kLanes] += y[i];
  }
  return reduce_lanes(acc);
}

void scale(const float* x, float s, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * s;
}

void scale_mul(const float* x, float s, const float* w, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * s) * w[i];
}

void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void silu(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

// 0.5 x (1 + tanh(u)) == x * sigmoid(2u) == x / (1 + exp(-2u)): no cancellation near u = 0.
void gelu_tanh(const float* x, float* y, int64_t n) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = kSqrt2OverPi * (v + 0.044715f * v * v * v);
    y[i] = v / (1.0f + std::exp(-2.0f * u));
  }
}

const VecKernels kGeneric = {"generic", dot,   sum,  sum_squares, sum_sq_diff, max,
                             exp_shift_sum, scale, scale_mul, axpy, silu, gelu_tanh};

const VecKernels* pick_best() {
  if (const VecKernels* k = vec_avx512()) return k;
  if (const VecKernels* k = vec_avx2()) return k;
  return &kGeneric;
}

}  // namespace

const VecKernels& vec_generic() { return kGeneric; }

const VecKernels& vec_best() {
  static const VecKernels* best = pick_best();
  return *best;
}

}  // namespace mistralrs::cpu
