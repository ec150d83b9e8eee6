// Device-side reads of weight rows shared by the matmul decode kernel and the embedding
// gather: a unit of 8 values of a block-format row (quant_blocks.cuh) and one value of a
// plain-format row. nvcc only.
#pragma once
#include <cuda_fp16.h>

#include <cstdint>

#include "matmul.h"
#include "quant_blocks.cuh"

namespace mistralrs::kernels {

// Unit j (8 values) of the block at `blk`.
template <WeightFormat F>
__device__ __forceinline__ void decode_unit(const uint8_t* blk, int j, quant::Unit8* u) {
  if constexpr (F == WeightFormat::kQ8_0) quant::unit_q8_0(blk, j, u);
  if constexpr (F == WeightFormat::kQ4_0) quant::unit_q4_0(blk, j, u);
  if constexpr (F == WeightFormat::kQ4_K) quant::unit_q4_k(blk, j, u);
  if constexpr (F == WeightFormat::kQ6_K) quant::unit_q6_k(blk, j, u);
}

// Value i of an f32, f16 or bf16 row.
template <WeightFormat F, class Index>
__device__ __forceinline__ float plain_value(const uint8_t* row, Index i) {
  if constexpr (F == WeightFormat::kF32) return reinterpret_cast<const float*>(row)[i];
  const uint16_t bits = reinterpret_cast<const uint16_t*>(row)[i];
  if constexpr (F == WeightFormat::kF16) return __half2float(__ushort_as_half(bits));
  return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}

}  // namespace mistralrs::kernels
