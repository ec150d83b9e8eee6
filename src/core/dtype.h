// Element types. Block types (q8_0, q4_0, q4_k, q6_k) store a fixed number of elements
// per block in a fixed number of bytes, laid out exactly as GGUF defines them
// (see src/core/quant.h for the block structs and dequantization).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace mistralrs {

enum class DType : int32_t { kF32, kF16, kBF16, kI32, kQ8_0, kQ4_0, kQ4_K, kQ6_K };

struct DTypeInfo {
  std::string_view name;
  int64_t block_elems;  // elements per block (1 for plain types)
  int64_t block_bytes;  // bytes per block
};

const DTypeInfo& dtype_info(DType t);
inline std::string_view dtype_name(DType t) { return dtype_info(t).name; }
inline bool is_block_type(DType t) { return dtype_info(t).block_elems > 1; }
std::optional<DType> dtype_from_name(std::string_view name);

// Bytes taken by n consecutive elements; n must be a multiple of the block size
// (checked by callers through row_size_ok).
inline int64_t dtype_bytes(DType t, int64_t n) {
  const DTypeInfo& i = dtype_info(t);
  return n / i.block_elems * i.block_bytes;
}
inline bool row_size_ok(DType t, int64_t n) { return n % dtype_info(t).block_elems == 0; }

// IEEE half <-> float, exact (round to nearest even on the way down), no F16C needed.
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);

// bfloat16 is the top half of an f32; rounding to nearest even, NaN kept quiet.
inline float bf16_to_fp32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
inline uint16_t fp32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

}  // namespace mistralrs
