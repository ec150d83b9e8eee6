// GGUF block types: storage layout and exact dequantization to f32, as ggml defines them.
// Structs are byte-exact images of the on-disk blocks (static_asserts in quant.cpp).
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace mistralrs {

constexpr int kQK8_0 = 32;
constexpr int kQK4_0 = 32;
constexpr int kQK_K = 256;       // super-block size of the k-quants
constexpr int kKScaleBytes = 12; // packed 6-bit scales and mins of q4_k

struct BlockQ8_0 {
  uint16_t d;         // f16 scale
  int8_t qs[kQK8_0];  // x[i] = d * qs[i]
};

struct BlockQ4_0 {
  uint16_t d;              // f16 scale
  uint8_t qs[kQK4_0 / 2];  // x[i] = d * ((qs[i] & 15) - 8), x[i+16] = d * ((qs[i] >> 4) - 8)
};

struct BlockQ4_K {
  uint16_t d;                     // f16 super-block scale of the scales
  uint16_t dmin;                  // f16 super-block scale of the mins
  uint8_t scales[kKScaleBytes];   // 8 sub-blocks of 32: 6-bit scale and 6-bit min each
  uint8_t qs[kQK_K / 2];          // 4-bit quants
};

struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits of the quants
  uint8_t qh[kQK_K / 4];      // high 2 bits
  int8_t scales[kQK_K / 16];  // 16 sub-blocks of 16, 8-bit scales
  uint16_t d;                 // f16 super-block scale
};

// Dequantizes n elements (a whole number of blocks of `type`) from src into dst.
// Plain types (f32, f16, bf16) are converted; i32 is not a weight type (returns false).
bool dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Reference quantizers (round-to-nearest, as ggml's reference code) used by tests,
// benchmarks and tools that build weights: n must be a whole number of blocks.
// Supported: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k. Returns false otherwise.
bool quantize_row(DType type, const float* src, void* dst, int64_t n);

// q4_k's 12 packed bytes -> the 6-bit scale and min of each of the 8 sub-blocks of 32.
// Sub-block j < 4: sc = p[j] & 63, m = p[j + 4] & 63; j >= 4: the low 4 bits come from
// p[j + 4] (scale: low nibble, min: high nibble) and the top 2 bits from the top 2 bits of
// p[j - 4] (scale) and p[j] (min).
void q4_k_unpack_scales(const uint8_t* packed, uint8_t* scales, uint8_t* mins);
// The inverse; scales and mins must be < 64.
void q4_k_pack_scales(const uint8_t* scales, const uint8_t* mins, uint8_t* packed);

}  // namespace mistralrs
