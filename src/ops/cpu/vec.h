// Vector kernels over contiguous f32 spans, one table per instruction set. The ops call
// vec_best() (chosen once from cpu_features()); tests run every table the host supports
// against the generic one and against double-precision loops.
//
// Numerics: sums accumulate in f32 over several lanes (error grows like sqrt(n) ulps for
// random data). exp_shift_sum uses a degree-7 polynomial after range reduction (about
// 2 ulp) in the SIMD tables; arguments below ln(FLT_MIN) give 0 and arguments above
// 88.37 saturate at exp(88.37) instead of overflowing (callers pass x - max <= 0, or use
// the result in a form like x / (1 + e) where saturation is harmless).
#pragma once
#include <cstdint>

namespace mistralrs::cpu {

struct VecKernels {
  const char* name;
  float (*dot)(const float* a, const float* b, int64_t n);
  float (*sum)(const float* x, int64_t n);
  float (*sum_squares)(const float* x, int64_t n);
  float (*sum_sq_diff)(const float* x, float c, int64_t n);  // sum (x - c)^2
  float (*max)(const float* x, int64_t n);                   // -inf when n == 0
  // y = exp(x - shift); returns sum(y). y may alias x.
  float (*exp_shift_sum)(const float* x, float shift, float* y, int64_t n);
  void (*scale)(const float* x, float s, float* y, int64_t n);  // y = x * s; alias ok
  // y = (x * s) * w, the rms_norm order; y may alias x.
  void (*scale_mul)(const float* x, float s, const float* w, float* y, int64_t n);
  void (*axpy)(float a, const float* x, float* y, int64_t n);  // y += a * x
  void (*silu)(const float* x, float* y, int64_t n);           // alias ok
  void (*gelu_tanh)(const float* x, float* y, int64_t n);      // alias ok
};

const VecKernels& vec_generic();
// Null when this build or this CPU lacks the instruction set.
const VecKernels* vec_avx2();
const VecKernels* vec_avx512();
// AVX-512 if present, else AVX2, else generic. Decided once.
const VecKernels& vec_best();

}  // namespace mistralrs::cpu
