// Bridges from matmul and embedding (src/ops/*.cpp) to the CUDA launchers in
// kernels/matmul.h and kernels/embedding.h. The views are already validated by the op
// (dtypes, shapes, one CUDA device, rows that collapse to one stride); these turn them into
// launcher arguments and a failed launch into a Status with the CUDA (or cuBLAS) message.
// Only compiled and called when MISTRALRS_HAS_CUDA is defined.
#pragma once
#include <cstdint>

#include "ops/ops.h"

namespace mistralrs::cuda_ops {

// y[m, n] = x[m, k] * w[n, k]^T; ldx, ldy, w_row_bytes as the op computed them. The CUDA
// path always multiplies dequantized weights in f32 (decode) or f16/bf16 inputs with f32
// accumulation (prefill), whatever ctx.exact_block_weights says.
Status matmul(const OpContext& ctx, const TensorView& x, const TensorView& w, const TensorView& y,
              int64_t ldx, int64_t ldy, int64_t w_row_bytes);

// y[t, :] = table[ids[t], :]; ids in device memory, so an id outside the vocabulary cannot
// be reported: its row of y is written as zeros.
Status embedding(const OpContext& ctx, const TensorView& table, const TensorView& ids,
                 const TensorView& y);

}  // namespace mistralrs::cuda_ops
