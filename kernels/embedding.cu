// Embedding gather: one thread block per token, each thread decodes units of 8 values of
// the token's row (quant_blocks.cuh for block formats, the same decoders as the matmul)
// and writes them as f32. A lookup is bandwidth-trivial (one row per token), so the
// kernel favours simplicity: 16-bit reads of the row, grid-stride over tokens.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "embedding.h"
#include "quant_blocks.cuh"
#include "weight_values.cuh"

namespace mistralrs::kernels {
namespace {

constexpr int kThreads = 128;
constexpr int64_t kMaxBlocks = 65535;

// grid.x blocks stride over tokens; threads stride over the row.
template <WeightFormat F>
__global__ void __launch_bounds__(kThreads)
    embedding_kernel(const uint8_t* table, int64_t row_bytes, int64_t vocab, int64_t dim,
                     const int32_t* ids, int64_t ids_stride, int64_t n_tokens, float* y, int64_t ldy) {
  constexpr int kElems = F == WeightFormat::kQ8_0 || F == WeightFormat::kQ4_0 ? 32
                         : F == WeightFormat::kQ4_K || F == WeightFormat::kQ6_K ? 256 : 1;
  constexpr int kBytes = F == WeightFormat::kQ8_0 ? 34 : F == WeightFormat::kQ4_0 ? 18
                         : F == WeightFormat::kQ4_K ? 144 : F == WeightFormat::kQ6_K ? 210 : 0;
  for (int64_t t = blockIdx.x; t < n_tokens; t += gridDim.x) {
    const int32_t id = ids[t * ids_stride];
    float* out = y + t * ldy;
    if (id < 0 || id >= vocab) {  // out of range: zeros, never a read outside the table
      for (int64_t i = threadIdx.x; i < dim; i += kThreads) out[i] = 0.0f;
      continue;
    }
    const uint8_t* row = table + id * row_bytes;
    if constexpr (kElems > 1) {
      for (int64_t u = threadIdx.x; u < dim / 8; u += kThreads) {
        const int64_t e = 8 * u;
        quant::Unit8 unit;
        decode_unit<F>(row + (e / kElems) * kBytes, static_cast<int>(e % kElems) / 8, &unit);
#pragma unroll
        for (int i = 0; i < 8; ++i) out[e + i] = quant::unit_value(unit, i);
      }
    } else {
      for (int64_t i = threadIdx.x; i < dim; i += kThreads) out[i] = plain_value<F>(row, i);
    }
  }
}

template <WeightFormat F>
int launch(const void* table, int64_t row_bytes, int64_t vocab, int64_t dim, const int32_t* ids,
           int64_t ids_stride, int64_t n_tokens, float* y, int64_t ldy, cudaStream_t s) {
  const unsigned grid = static_cast<unsigned>(n_tokens < kMaxBlocks ? n_tokens : kMaxBlocks);
  embedding_kernel<F><<<grid, kThreads, 0, s>>>(static_cast<const uint8_t*>(table), row_bytes, vocab, dim,
                                                ids, ids_stride, n_tokens, y, ldy);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int embedding(const void* table, int64_t table_row_bytes, WeightFormat format, int64_t vocab,
              int64_t dim, const int32_t* ids, int64_t ids_stride, int64_t n_tokens, float* y,
              int64_t ldy, void* stream) {
  const FormatBlock fb = format_block(format);
  if (fb.elems == 0 || vocab < 0 || dim < 0 || n_tokens < 0 || dim % fb.elems != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  if (n_tokens == 0 || dim == 0) return 0;
  const int64_t align = format == WeightFormat::kF32 ? 4 : 2;
  if (!ids || !y || ldy < dim || ids_stride < 0 || (vocab > 0 && !table) ||
      table_row_bytes < dim / fb.elems * fb.bytes || table_row_bytes % align != 0 ||
      reinterpret_cast<uintptr_t>(table) % align != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  switch (format) {
    case WeightFormat::kF32: return launch<WeightFormat::kF32>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
    case WeightFormat::kF16: return launch<WeightFormat::kF16>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
    case WeightFormat::kBF16: return launch<WeightFormat::kBF16>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
    case WeightFormat::kQ8_0: return launch<WeightFormat::kQ8_0>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
    case WeightFormat::kQ4_0: return launch<WeightFormat::kQ4_0>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
    case WeightFormat::kQ4_K: return launch<WeightFormat::kQ4_K>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
    case WeightFormat::kQ6_K: return launch<WeightFormat::kQ6_K>(table, table_row_bytes, vocab, dim, ids, ids_stride, n_tokens, y, ldy, s);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

}  // namespace mistralrs::kernels
