// Matmul launchers (host-callable, no CUDA types exposed): y[m, n] = x[m, k] * w[n, k]^T
// with x, y f32 and w in a weight format. Every launcher returns 0 on success or a
// cudaError_t value (cudaErrorInvalidValue for arguments it cannot run; a cuBLAS failure
// becomes cudaErrorUnknown with the cuBLAS status in *detail when detail is non-null).
// stream: a cudaStream_t, or null for the default stream. Work goes to the current device.
//
// Strides: rows of x and y are ldx, ldy floats apart (>= k, >= n); rows of w are
// w_row_bytes apart, each row k values of the format, contiguous. w must be 2-byte aligned
// (4 for f32); faster paths engage when w is 16-byte aligned.
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

// The weight formats, numbered as mistralrs::DType (kernels/ does not include src/).
enum class WeightFormat : int32_t { kF32 = 0, kF16 = 1, kBF16 = 2, kQ8_0 = 4, kQ4_0 = 5, kQ4_K = 6, kQ6_K = 7 };

struct MatmulLaunch {
  const float* x = nullptr;
  int64_t ldx = 0;
  const void* w = nullptr;
  int64_t w_row_bytes = 0;
  WeightFormat w_format = WeightFormat::kF32;
  float* y = nullptr;
  int64_t ldy = 0;
  int64_t m = 0, n = 0, k = 0;
};

// Rows at or below this count go to the decode kernels (weights read once for all rows);
// above it to cuBLAS/cuBLASLt. Chosen as the most rows the decode kernel holds in
// registers; tune on the device with bench_cuda_matmul.
constexpr int64_t kDecodeMaxRows = 8;

// The memory-bound path: one fused dequantize-and-dot kernel, weights streamed once per
// group of up to 8 rows of x (larger m loops over groups). Any m, n, k (k a whole number
// of blocks); k == 0 writes zeros.
int matmul_decode(const MatmulLaunch& a, void* stream);

// The compute-bound path: f32 w by cuBLAS SGEMM (f32 math, no TF32); f16/bf16 w by
// cuBLASLt after casting x to w's type; block formats by dequantizing w to f16 and
// cuBLASLt. Temporaries and the 32 MB cuBLASLt workspace come from one cudaMallocAsync /
// cudaFreeAsync per call on the stream. cuBLASLt handles are cached per host thread and
// device (created on the first call, which therefore must not be inside a CUDA graph
// capture). A layout for which cuBLASLt has no kernel (its heuristic finds none, e.g.
// f16 rows of odd length) runs matmul_decode.
int matmul_prefill(const MatmulLaunch& a, void* stream, int* detail);

// Dispatches on m: matmul_decode for m <= kDecodeMaxRows (or k == 0), else matmul_prefill.
int matmul(const MatmulLaunch& a, void* stream, int* detail);

// w [n, k] of w_format -> f16 [n, k] contiguous (row r at out + r * k). Values outside the
// f16 range become +-inf (GGUF weights never are). Used by matmul_prefill; exposed for tests.
int dequantize_to_f16(const void* w, int64_t w_row_bytes, WeightFormat w_format, int64_t n,
                      int64_t k, uint16_t* out, void* stream);

// Text of a cuBLAS status (the *detail of matmul_prefill).
const char* cublas_status_string(int status);

// Values and bytes per block of a format (1 and the element size for f32, f16, bf16).
struct FormatBlock {
  int64_t elems, bytes;
};
inline FormatBlock format_block(WeightFormat f) {
  switch (f) {
    case WeightFormat::kF32: return {1, 4};
    case WeightFormat::kF16:
    case WeightFormat::kBF16: return {1, 2};
    case WeightFormat::kQ8_0: return {32, 34};
    case WeightFormat::kQ4_0: return {32, 18};
    case WeightFormat::kQ4_K: return {256, 144};
    case WeightFormat::kQ6_K: return {256, 210};
  }
  return {0, 0};
}

}  // namespace mistralrs::kernels
