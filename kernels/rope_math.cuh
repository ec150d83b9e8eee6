// Rotary-embedding math shared by the CUDA kernel (kernels/rope.cu) and the host: the
// frequency and angle formulas of the CPU rope (src/ops/cpu/rope.cpp), the pair indices of
// both layouts, and the rotation of one pair. Plain C++ when not compiled by nvcc, so the
// CPU tests (tests/test_rope_math.cpp) check exactly what the kernel runs.
//
// Numerics, as the CPU rope: inv_freq = theta^(-2i/rot) and angle = p * inv_freq in double,
// cos/sin in double rounded once to f32. At p ~ 1e5 an f32 angle would be off by ~1e-2 rad;
// in double it is off by ~1e-11 rad, so the f32 cos/sin agree with the CPU's except where
// the double result lies within a few double ulps of an f32 rounding boundary.
// The rotation itself is x0 * c - x1 * s with each product rounded (no FMA contraction, on
// the device through __fmul_rn / __fadd_rn): the CPU build has no FMA either, so both give
// the same f32 result from the same cos/sin.
#pragma once
#include <cmath>
#include <cstdint>

#include "host_device.cuh"

namespace mistralrs::kernels {

// Frequencies that travel by value in the kernel's arguments (1 KiB of doubles). Covers
// rotary_dim <= 256; above that the kernel computes theta's frequencies itself.
constexpr int kRopeMaxFreqs = 128;

// theta^(-2i / rotary_dim): the CPU rope's expression, term for term.
MISTRALRS_HD inline double rope_inv_freq(double theta, int64_t i, int64_t rotary_dim) {
  return pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim));
}

// cos and sin of position * inv_freq, the product and both functions in double.
MISTRALRS_HD inline void rope_cos_sin(int64_t position, double inv_freq, float* c,
                                               float* s) {
  const double angle = static_cast<double>(position) * inv_freq;
  *c = static_cast<float>(cos(angle));
  *s = static_cast<float>(sin(angle));
}

// Element indices (within a head) of pair i, half = rotary_dim / 2.
// Neox ("rotate_half"): (i, i + half). Interleaved (GPT-J): (2i, 2i + 1).
MISTRALRS_HD inline void rope_pair(bool neox, int64_t i, int64_t half, int64_t* a,
                                            int64_t* b) {
  *a = neox ? i : 2 * i;
  *b = neox ? i + half : 2 * i + 1;
}

// (y0, y1) = (x0 c - x1 s, x0 s + x1 c), every product and sum rounded to f32 on its own.
MISTRALRS_HD inline void rope_rotate(float x0, float x1, float c, float s, float* y0,
                                              float* y1) {
#if defined(__CUDA_ARCH__)
  *y0 = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
  *y1 = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
#else
  *y0 = x0 * c - x1 * s;
  *y1 = x0 * s + x1 * c;
#endif
}

// One head row: rotates pair i of x into y at element offsets x_off / y_off (elements).
// What one kernel thread does per (token, head, pair); the CPU test runs it over all of them.
MISTRALRS_HD inline void rope_apply_pair(const float* x, float* y, int64_t x_off,
                                                  int64_t y_off, bool neox, int64_t i,
                                                  int64_t half, float c, float s) {
  int64_t a = 0, b = 0;
  rope_pair(neox, i, half, &a, &b);
  const float x0 = x[x_off + a], x1 = x[x_off + b];
  float y0 = 0.0f, y1 = 0.0f;
  rope_rotate(x0, x1, c, s, &y0, &y1);
  y[y_off + a] = y0;
  y[y_off + b] = y1;
}

// One token's cos/sin table: cs[i] = cos, cs[half + i] = sin of position * inv_freq[i] for
// i = first, first + step, ... < half. freqs: [half] doubles, or null to compute theta's.
// The kernel passes (threadIdx.x, blockDim.x); the CPU test (0, 1).
MISTRALRS_HD inline void rope_token_cos_sin(int64_t position, const double* freqs,
                                                     double theta, int half, float* cs,
                                                     int first, int step) {
  for (int i = first; i < half; i += step) {
    const double f = freqs != nullptr ? freqs[i] : rope_inv_freq(theta, i, 2 * int64_t{half});
    rope_cos_sin(position, f, &cs[i], &cs[half + i]);
  }
}

// One token of x [n_heads, head_dim] (head stride xs1) into y (head stride ys1): pairs
// k = h * half + i for k = first, first + step, ... < n_heads * half, consecutive k on
// consecutive elements of one head; then, when copy_tail, the dims past 2 * half.
MISTRALRS_HD inline void rope_token_rotate(const float* xt, float* yt, int64_t xs1,
                                                    int64_t ys1, int n_heads, int head_dim,
                                                    int half, bool neox, bool copy_tail,
                                                    const float* cs, int first, int step) {
  const int n_pairs = n_heads * half;
  for (int k = first; k < n_pairs; k += step) {
    const int h = k / half, i = k - h * half;
    rope_apply_pair(xt, yt, h * xs1, h * ys1, neox, i, half, cs[i], cs[half + i]);
  }
  if (!copy_tail) return;
  const int tail = head_dim - 2 * half;
  const int n_tail = n_heads * tail;
  for (int k = first; k < n_tail; k += step) {
    const int h = k / tail, c = 2 * half + (k - h * tail);
    yt[h * ys1 + c] = xt[h * xs1 + c];
  }
}

}  // namespace mistralrs::kernels
