// CPU matmul: y[m, n] = x[m, k] * w[n, k]^T, w in its file layout (GGUF / HF rows).
// src/ops/matmul.cpp validates the views and calls matmul() below with raw pointers.
//
// Paths (picked per call from cpu_features(), or forced through MatmulOptions in tests):
//   f32 / f16 / bf16 w: f32 FMA, w converted on the fly (matmul_float*.cpp).
//   q8_0 / q4_0 / q4_k / q6_k w: each x row is quantized once per call to int8 blocks, then
//   integer dot products with the weight blocks (matmul_quant*.cpp). The scalar build and
//   `dequantize_weights` instead dequantize tiles of w to f32 and use the FMA path.
// Work is split over n (columns of y, rows of w) with ThreadPool::parallel_for.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "core/status.h"
#include "core/thread_pool.h"

namespace mistralrs::cpu {

enum class MatmulIsa { kAuto, kScalar, kAvx2, kAvx512 };

// Raw pointers of a validated matmul. Rows of x and y may be strided (ldx, ldy >= k, n);
// each row of w is contiguous and w_row_bytes apart.
struct MatmulArgs {
  const float* x = nullptr;  // [m, k]
  int64_t ldx = 0;
  const void* w = nullptr;   // [n, k] of w_type
  int64_t w_row_bytes = 0;
  DType w_type = DType::kF32;
  float* y = nullptr;        // [m, n]
  int64_t ldy = 0;
  int64_t m = 0, n = 0, k = 0;
};

struct MatmulOptions {
  MatmulIsa isa = MatmulIsa::kAuto;  // kAuto: the best this CPU supports for w_type
  bool dequantize_weights = false;   // block types: dequantize + f32 FMA instead of int8 dots
};

// Whether this build and CPU can run `isa` for w_type (kAvx512 needs AVX-512 F/BW/VL/DQ,
// plus VNNI for the int8 path of block types; kAvx2 needs AVX2 + FMA + F16C).
bool matmul_isa_supported(MatmulIsa isa, DType w_type, bool dequantize_weights = false);
MatmulIsa matmul_best_isa(DType w_type, bool dequantize_weights = false);
const char* matmul_isa_name(MatmulIsa isa);

// kUnsupported when opt.isa cannot run here; otherwise computes y and returns ok.
Status matmul(ThreadPool* pool, const MatmulArgs& a, const MatmulOptions& opt = {});

}  // namespace mistralrs::cpu
