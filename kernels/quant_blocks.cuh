// GGUF block decoding shared by the CUDA kernels (matmul, dequantize, embedding) and by a
// CPU test: every function here is __host__ __device__ under nvcc and plain inline C++
// under g++, so tests/test_cuda_quant_blocks.cpp checks the very code the kernels run
// against src/core/quant.cpp, bit for bit.
//
// Layouts (byte offsets inside one block, little-endian f16 scales), as src/core/quant.h:
//   q8_0  34 B / 32 values:  d@0, qs[32]@2 (int8)             x = d * qs
//   q4_0  18 B / 32 values:  d@0, qs[16]@2                     x[i] = d*((qs[i]&15)-8),
//                                                              x[i+16] = d*((qs[i]>>4)-8)
//   q4_k 144 B / 256 values: d@0, dmin@2, scales[12]@4, qs[128]@16
//   q6_k 210 B / 256 values: ql[128]@0, qh[64]@128, scales[16]@192 (int8), d@208
//
// The unit of work is 8 consecutive values of one block ("unit j" = values 8j..8j+7): a
// matmul lane dots one unit with 8 values of x. Every unit has one scale and one min:
// value_i = scale * q_i - min, with q_i a small integer held exactly in a float; the
// products are rounded as the CPU rounds them (no FMA contraction), so unit_value() equals
// dequantize_row() exactly.
//
// Reads go through a byte pointer. On the device it must be 2-byte aligned (every block
// size is even and the kernels keep global alignment in shared memory), which lets the
// reads be 16-bit loads instead of byte loads.
#pragma once
#include <cstdint>

#ifdef __CUDACC__
#define MRS_HD __host__ __device__ __forceinline__
#else
#define MRS_HD inline
#endif

namespace mistralrs::kernels::quant {

constexpr int kQ8_0Bytes = 34, kQ4_0Bytes = 18, kQ4_KBytes = 144, kQ6_KBytes = 210;

// 16 bits at p (little-endian); p 2-byte aligned on the device.
MRS_HD uint32_t rd16(const uint8_t* p) {
#ifdef __CUDA_ARCH__
  return *reinterpret_cast<const uint16_t*>(p);
#else
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8);
#endif
}
// 32 bits at p, p 2-byte aligned: two 16-bit reads.
MRS_HD uint32_t rd32(const uint8_t* p) { return rd16(p) | (rd16(p + 2) << 16); }

MRS_HD float bits_to_float(uint32_t u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  union {
    uint32_t u;
    float f;
  } v{u};
  return v.f;
#endif
}

// IEEE half bits -> float, exact (normals, subnormals, inf, NaN).
MRS_HD float half_to_float(uint32_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 31u, man = h & 0x3ffu;
  if (exp == 31) return bits_to_float(sign | 0x7f800000u | (man << 13));
  if (exp != 0) return bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
  // Subnormal: man * 2^-24, exact in float; the sign survives for -0.
  const float mag = static_cast<float>(man) * 5.9604644775390625e-8f;
  return sign ? -mag : mag;
}

MRS_HD float bf16_to_float(uint32_t h) { return bits_to_float(h << 16); }

// An integer in [0, 2^22) as a float without an I2F (quarter-rate on sm_80/90): its bits
// OR'ed under 2^23's exponent give 2^23 + v exactly; subtracting `bias` (2^23 + offset,
// exact) gives v - offset exactly. Same value as static_cast<float>(v - offset).
MRS_HD float magic_to_float(uint32_t v, float bias) { return bits_to_float(0x4b000000u | v) - bias; }
constexpr float kMagic = 8388608.0f;  // 2^23

// Products and differences rounded once each, never fused, to match the CPU dequantizer.
MRS_HD float mul_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
MRS_HD float sub_rn(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

// 8 values of a block: value_i = scale * q[i] - min.
struct Unit8 {
  float q[8];
  float scale;
  float min;
};

MRS_HD float unit_value(const Unit8& u, int i) { return sub_rn(mul_rn(u.scale, u.q[i]), u.min); }

// q8_0 unit j (0..3): qs[8j..8j+7], signed. byte ^ 0x80 = q + 128 in [0, 256).
MRS_HD void unit_q8_0(const uint8_t* blk, int j, Unit8* u) {
  const uint32_t w0 = rd32(blk + 2 + 8 * j) ^ 0x80808080u, w1 = rd32(blk + 6 + 8 * j) ^ 0x80808080u;
  for (int i = 0; i < 4; ++i) {
    u->q[i] = magic_to_float((w0 >> (8 * i)) & 0xffu, kMagic + 128.0f);
    u->q[4 + i] = magic_to_float((w1 >> (8 * i)) & 0xffu, kMagic + 128.0f);
  }
  u->scale = half_to_float(rd16(blk));
  u->min = 0.0f;
}

// q4_0 unit j (0..3): values 8j..8j+7. Units 0, 1 are the low nibbles of qs[0..7] and
// qs[8..15]; units 2, 3 the high nibbles of the same bytes.
MRS_HD void unit_q4_0(const uint8_t* blk, int j, Unit8* u) {
  const uint8_t* qs = blk + 2 + 8 * (j & 1);
  const int shift = 4 * (j >> 1);
  const uint32_t w0 = (rd32(qs) >> shift) & 0x0f0f0f0fu, w1 = (rd32(qs + 4) >> shift) & 0x0f0f0f0fu;
  for (int i = 0; i < 4; ++i) {
    u->q[i] = magic_to_float((w0 >> (8 * i)) & 0xffu, kMagic + 8.0f);
    u->q[4 + i] = magic_to_float((w1 >> (8 * i)) & 0xffu, kMagic + 8.0f);
  }
  u->scale = half_to_float(rd16(blk));
  u->min = 0.0f;
}

// q4_k's 6-bit scale and min of sub-block s (0..7) from the 12 packed bytes at p, as
// q4_k_unpack_scales in src/core/quant.cpp.
MRS_HD void q4_k_scale_min(const uint8_t* p, int s, uint32_t* sc, uint32_t* m) {
  if (s < 4) {
    *sc = p[s] & 63u;
    *m = p[s + 4] & 63u;
  } else {
    *sc = (p[s + 4] & 15u) | ((static_cast<uint32_t>(p[s - 4]) >> 6) << 4);
    *m = (static_cast<uint32_t>(p[s + 4]) >> 4) | ((static_cast<uint32_t>(p[s]) >> 6) << 4);
  }
}

// q4_k unit j (0..31): values 8j..8j+7, in sub-block s = j / 4 of group g = j / 8. Group g
// reads qs[32g..32g+31]: its first 32 values are the low nibbles, the next 32 the high.
MRS_HD void unit_q4_k(const uint8_t* blk, int j, Unit8* u) {
  const int g = j >> 3, s = j >> 2, l = 8 * (j & 3);
  const uint8_t* qs = blk + 16 + 32 * g + l;
  const int shift = 4 * (s & 1);
  const uint32_t w0 = (rd32(qs) >> shift) & 0x0f0f0f0fu, w1 = (rd32(qs + 4) >> shift) & 0x0f0f0f0fu;
  for (int i = 0; i < 4; ++i) {
    u->q[i] = magic_to_float((w0 >> (8 * i)) & 0xffu, kMagic);
    u->q[4 + i] = magic_to_float((w1 >> (8 * i)) & 0xffu, kMagic);
  }
  uint32_t sc, m;
  q4_k_scale_min(blk + 4, s, &sc, &m);
  u->scale = mul_rn(half_to_float(rd16(blk)), static_cast<float>(sc));
  u->min = mul_rn(half_to_float(rd16(blk + 2)), static_cast<float>(m));
}

// q6_k unit j (0..31): values 8j..8j+7 in half h = j / 16, quarter t, lanes l..l+7:
// low 4 bits from ql[64h + l + 32 (t & 1)] (low nibble for t < 2, high for t >= 2), high
// 2 bits from qh[32h + l] bits 2t..2t+1; q = that 6-bit number - 32; scale = d *
// scales[j / 2] (16 values share a scale).
MRS_HD void unit_q6_k(const uint8_t* blk, int j, Unit8* u) {
  const int h = j >> 4, t = (j >> 2) & 3, l = 8 * (j & 3);
  const uint8_t* ql = blk + 64 * h + l + 32 * (t & 1);
  const uint8_t* qh = blk + 128 + 32 * h + l;
  const int lo_shift = 4 * (t >> 1), hi_shift = 2 * t;
  for (int half = 0; half < 2; ++half) {
    const uint32_t lo = (rd32(ql + 4 * half) >> lo_shift) & 0x0f0f0f0fu;
    const uint32_t hi = ((rd32(qh + 4 * half) >> hi_shift) & 0x03030303u) << 4;
    const uint32_t q = lo | hi;
    for (int i = 0; i < 4; ++i) u->q[4 * half + i] = magic_to_float((q >> (8 * i)) & 0xffu, kMagic + 32.0f);
  }
  const int32_t sc = static_cast<int8_t>(blk[192 + (j >> 1)]);
  u->scale = mul_rn(half_to_float(rd16(blk + 208)), static_cast<float>(sc));
  u->min = 0.0f;
}

// Whole blocks to floats: 32 values (q8_0, q4_0) or 256 (q4_k, q6_k).
MRS_HD void dequant_unit(const Unit8& u, float* out) {
  for (int i = 0; i < 8; ++i) out[i] = unit_value(u, i);
}
MRS_HD void dequant_q8_0(const uint8_t* blk, float* out) {
  Unit8 u;
  for (int j = 0; j < 4; ++j) unit_q8_0(blk, j, &u), dequant_unit(u, out + 8 * j);
}
MRS_HD void dequant_q4_0(const uint8_t* blk, float* out) {
  Unit8 u;
  for (int j = 0; j < 4; ++j) unit_q4_0(blk, j, &u), dequant_unit(u, out + 8 * j);
}
MRS_HD void dequant_q4_k(const uint8_t* blk, float* out) {
  Unit8 u;
  for (int j = 0; j < 32; ++j) unit_q4_k(blk, j, &u), dequant_unit(u, out + 8 * j);
}
MRS_HD void dequant_q6_k(const uint8_t* blk, float* out) {
  Unit8 u;
  for (int j = 0; j < 32; ++j) unit_q6_k(blk, j, &u), dequant_unit(u, out + 8 * j);
}

// ---- staging a byte range through shared memory (matmul_decode.cu) ----------------------
// Bytes [s0, s1) of global memory are copied as the 16-byte aligned pieces that cover them,
// starting at floor16(s0); byte s0 lands at offset s0 % 16 of the buffer. A buffer of
// stage_buffer_bytes(s1 - s0) always holds them. Pieces not wholly inside the tensor
// [lo, hi) are copied 2 bytes at a time, only the 2-byte words inside it.
MRS_HD constexpr int64_t stage_buffer_bytes(int64_t max_span) { return (max_span + 15) / 16 * 16 + 32; }
MRS_HD int stage_pieces(uintptr_t s0, uintptr_t s1) {
  return static_cast<int>((s1 - (s0 & ~uintptr_t{15}) + 15) / 16);
}
MRS_HD bool piece_inside(uintptr_t piece, uintptr_t lo, uintptr_t hi) { return piece >= lo && piece + 16 <= hi; }
MRS_HD bool word_inside(uintptr_t word, uintptr_t lo, uintptr_t hi) { return word >= lo && word + 2 <= hi; }

}  // namespace mistralrs::kernels::quant
