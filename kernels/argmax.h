// Greedy sampling on the device: the index of each row's largest value, so that a greedy
// decode step returns one token id instead of the whole logits row.
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// out[r] = the smallest i with x[r * row_stride + i] == max over the row (the CPU greedy
// sampler's tie rule: higher logit first, then lower id). NaN is never the maximum; a row
// with no value above -inf gives -1. x: f32 device memory [n_rows, row_stride], n columns
// used; out: i32 device memory [n_rows]. Returns 0 or a cudaError_t value
// (cudaErrorInvalidValue for null pointers, n < 1, n > INT32_MAX or row_stride < n).
int argmax_f32(const float* x, int64_t n_rows, int64_t n, int64_t row_stride, int32_t* out, void* stream);

}  // namespace mistralrs::kernels
