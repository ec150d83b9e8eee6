// Kernel tables behind the CPU matmul, one per instruction set, and the loop nests that
// drive them (matmul_float.cpp, matmul_quant.cpp). A kernel computes one micro-tile: up
// to kTileM rows of x against kTileN rows of w, over a span of k, and returns the
// kTileM x kTileN dot products; the loop nests handle blocking, tails and threads.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "ops/cpu/matmul_cpu.h"

namespace mistralrs::cpu {

constexpr int kTileM = 4;  // rows of x per micro-tile: each weight vector load feeds 4 FMAs
constexpr int kTileN = 4;  // rows of w per micro-tile: each x vector load feeds 4 FMAs
// Weight rows are prefetched this many tiles ahead while streaming (see prefetch_ahead).
constexpr int kPrefetchTiles = 1;

// out[r * kTileN + j] = sum_{i < kc} x[r * ldx + i] * w_j[i], for r < mr (1..kTileM) and
// j < kTileN. w[j] points at kc elements of weight row j: f32, or f16 / bf16 bits.
// prefetch: byte distance from each weight row to prefetch ahead of it (0: none); see
// prefetch_ahead in matmul_simd.h.
struct FloatKernels {
  const char* name;
  void (*tile_f32)(const float* x, int64_t ldx, int mr, const float* const* w, int64_t kc,
                   int64_t prefetch, float* out);
  void (*tile_f16)(const float* x, int64_t ldx, int mr, const uint16_t* const* w, int64_t kc,
                   int64_t prefetch, float* out);
  void (*tile_bf16)(const float* x, int64_t ldx, int mr, const uint16_t* const* w, int64_t kc,
                    int64_t prefetch, float* out);
  void (*f16_to_f32)(const uint16_t* src, float* dst, int64_t n);
  void (*bf16_to_f32)(const uint16_t* src, float* dst, int64_t n);
};

// x rows quantized for the integer kernels: x[r, i] ~= d[r, i / block] * qs[r, i] with
// d = amax / 127 over the block (round to nearest, so |x - d*q| <= d/2). sums hold the sum
// of qs over each group of sum_group values; the kernels use them for the constant offset
// of the weight codes (q4_0: -8, q8_0: -128 after biasing, q4_k: the mins, q6_k: -32).
//   w type  block  sum_group
//   q8_0      32     32
//   q4_0      32     32
//   q4_k     256     32      (one group per 6-bit scale/min)
//   q6_k     256     16      (one group per int8 scale)
struct QuantizedRows {
  const int8_t* qs = nullptr;    // [m, k]
  const float* d = nullptr;      // [m, k / block]
  const int16_t* sums = nullptr; // [m, k / sum_group]
  int64_t k = 0;
  int block = 32, sum_group = 32;

  const int8_t* row_qs(int64_t r) const { return qs + r * k; }
  const float* row_d(int64_t r) const { return d + r * (k / block); }
  const int16_t* row_sums(int64_t r) const { return sums + r * (k / sum_group); }
};

void quantized_layout(DType w_type, int* block, int* sum_group);

struct QuantKernels {
  const char* name;
  // One row x[0, k) into qs[k], d[k / block], sums[k / sum_group] for w_type's layout.
  void (*quantize_row)(const float* x, int64_t k, DType w_type, int8_t* qs, float* d,
                       int16_t* sums);
  // out[r * kTileN + j] = dot(activation row m0 + r, weight row j) over all of k, r < mr.
  // w[j] points at the first block of weight row j; prefetch as for FloatKernels.
  void (*tile)(DType w_type, const QuantizedRows& a, int64_t m0, int mr,
               const uint8_t* const* w, int64_t prefetch, float* out);
};

const FloatKernels& float_kernels_scalar();
// Null when this build has no x86 SIMD code; callers check cpu_features() first.
const FloatKernels* float_kernels_avx2();
const FloatKernels* float_kernels_avx512();
const QuantKernels* quant_kernels_avx2();
const QuantKernels* quant_kernels_avx512();  // needs AVX-512 VNNI

// y[:, n0:n1] for f32/f16/bf16 w, or any block type dequantized tile by tile.
void matmul_float_range(const FloatKernels& kern, const MatmulArgs& a, int64_t n0, int64_t n1);
// y[:, n0:n1] for a block-type w from activations quantized by kern.quantize_row.
void matmul_quant_range(const QuantKernels& kern, const MatmulArgs& a, const QuantizedRows& q,
                        int64_t n0, int64_t n1);

}  // namespace mistralrs::cpu
