// Embedding gather on the device (host-callable, no CUDA types exposed):
// y[t, :] = table[ids[t], :] as f32, for every weight format of kernels/matmul.h.
// Returns 0 or a cudaError_t value (cudaErrorInvalidValue for arguments it cannot run).
//
// ids live in device memory, so the host cannot check them without a synchronizing copy:
// an id outside [0, vocab) makes the kernel write zeros for that row (it never reads
// outside the table). The op layer documents this; the CPU path reports such ids as errors.
#pragma once
#include <cstdint>

#include "matmul.h"

namespace mistralrs::kernels {

// table: vocab rows of dim values, rows table_row_bytes apart (2-byte aligned; 4 for f32;
// dim a whole number of blocks). ids: n_tokens i32, ids_stride elements apart. y: f32 rows
// ldy floats apart (ldy >= dim).
int embedding(const void* table, int64_t table_row_bytes, WeightFormat format, int64_t vocab,
              int64_t dim, const int32_t* ids, int64_t ids_stride, int64_t n_tokens, float* y,
              int64_t ldy, void* stream);

}  // namespace mistralrs::kernels
