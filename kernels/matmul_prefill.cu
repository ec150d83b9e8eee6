// Prefill matmul (many rows of x): cuBLASLt with f32 accumulation and f32 output.
//   f32 w:       A = w (f32), B = x (f32), CUBLAS_COMPUTE_32F: a plain SGEMM (no TF32).
//   f16/bf16 w:  x cast to w's type into a temporary; A = w, B = x16, C = y (f32).
//   block w:     w dequantized to f16 into a temporary (exact values rounded once to f16),
//                x cast to f16; then as f16.
// Layouts no cuBLASLt kernel takes (the heuristic finds none: e.g. f16 rows of odd length)
// fall back to the decode kernel, which handles any m.
// Temporaries and the cuBLASLt workspace are one cudaMallocAsync/cudaFreeAsync on the
// caller's stream (stream-ordered, so concurrent streams never share a workspace, and CUDA
// graph capture records them as allocation nodes).
//
// Row-major y[m, n] = x[m, k] w[n, k]^T is column-major Y^T[n, m] = W^T^T X^T: A is w seen
// as a column-major [k, n] matrix (lda = row stride of w) with op T, B is x seen as [k, m]
// (ldb = ldx) with op N, C is y seen as [n, m] (ldc = ldy).
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "matmul.h"
#include "quant_blocks.cuh"

namespace mistralrs::kernels {
namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;  // cuBLAS's recommendation for sm_90
constexpr int kCastThreads = 256;

// One cuBLASLt handle per host thread and device, created on first use and destroyed when
// the thread exits. (A handle is cheap to keep; creating one per call costs ~ms.)
struct LtHandle {
  int device = -1;
  cublasLtHandle_t h = nullptr;
  ~LtHandle() {
    if (h) cublasLtDestroy(h);
  }
};

cublasStatus_t lt_handle(cublasLtHandle_t* out) {
  thread_local std::vector<std::unique_ptr<LtHandle>> cache;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return CUBLAS_STATUS_NOT_INITIALIZED;
  for (const auto& e : cache)
    if (e->device == dev) return *out = e->h, CUBLAS_STATUS_SUCCESS;
  auto e = std::make_unique<LtHandle>();
  e->device = dev;
  const cublasStatus_t st = cublasLtCreate(&e->h);
  if (st != CUBLAS_STATUS_SUCCESS) return st;
  *out = e->h;
  cache.push_back(std::move(e));
  return CUBLAS_STATUS_SUCCESS;
}

// f32 [m, k] (row stride ldx) -> T [m, k] contiguous. grid.y strides over rows, x-threads
// over the row (no 64-bit division per element).
template <class T>
__global__ void cast_rows_kernel(const float* x, int64_t ldx, int64_t m, int64_t k, T* out) {
  for (int64_t r = blockIdx.y; r < m; r += gridDim.y) {
    const float* xr = x + r * ldx;
    T* o = out + r * k;
    for (int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; c < k; c += int64_t{gridDim.x} * blockDim.x) {
      if constexpr (std::is_same<T, __half>::value) {
        o[c] = __float2half_rn(xr[c]);
      } else {
        o[c] = __float2bfloat16_rn(xr[c]);
      }
    }
  }
}

// Units of 8 values: thread i decodes unit i of the [n, k] weight and writes 8 halves
// (one 16-byte store; out is 16-byte aligned and k a multiple of 32).
template <WeightFormat F>
__global__ void dequant_f16_kernel(const uint8_t* w, int64_t w_row_bytes, int64_t n, int64_t k, uint16_t* out) {
  constexpr int kElems = F == WeightFormat::kQ8_0 || F == WeightFormat::kQ4_0 ? 32 : 256;
  constexpr int kBytes = F == WeightFormat::kQ8_0 ? 34 : F == WeightFormat::kQ4_0 ? 18 : F == WeightFormat::kQ4_K ? 144 : 210;
  const int64_t units_per_row = k / 8, total = n * units_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / units_per_row, e = (i % units_per_row) * 8;
    const uint8_t* blk = w + r * w_row_bytes + (e / kElems) * kBytes;
    const int j = static_cast<int>(e % kElems) / 8;
    quant::Unit8 u;
    if constexpr (F == WeightFormat::kQ8_0) quant::unit_q8_0(blk, j, &u);
    if constexpr (F == WeightFormat::kQ4_0) quant::unit_q4_0(blk, j, &u);
    if constexpr (F == WeightFormat::kQ4_K) quant::unit_q4_k(blk, j, &u);
    if constexpr (F == WeightFormat::kQ6_K) quant::unit_q6_k(blk, j, &u);
    uint32_t packed[4];
#pragma unroll
    for (int p = 0; p < 4; ++p) {
      const uint32_t lo = __half_as_ushort(__float2half_rn(quant::unit_value(u, 2 * p)));
      const uint32_t hi = __half_as_ushort(__float2half_rn(quant::unit_value(u, 2 * p + 1)));
      packed[p] = lo | (hi << 16);
    }
    *reinterpret_cast<uint4*>(out + r * k + e) = make_uint4(packed[0], packed[1], packed[2], packed[3]);
  }
}

unsigned grid_for(int64_t work, int threads) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);  // grid-stride covers the rest
}

// Largest power of two (<= 256) dividing both the address and the row pitch in bytes.
uint32_t alignment_of(const void* p, int64_t pitch_bytes) {
  uint64_t v = reinterpret_cast<uintptr_t>(p) | static_cast<uint64_t>(pitch_bytes) | 256u;
  return static_cast<uint32_t>(v & (~v + 1));
}

struct LtOperands {
  const void* a;  // w (or its f16 copy)
  cudaDataType_t a_type;
  int64_t lda;
  const void* b;  // x (or its cast copy)
  cudaDataType_t b_type;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int64_t m, n, k;
  int elem_bytes;  // of a and b
};

// Descriptors live only for this call; destroyed on every path.
struct LtDescs {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~LtDescs() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

#define MRS_LT_CHECK(expr)                              \
  do {                                                  \
    const cublasStatus_t st_ = (expr);                  \
    if (st_ != CUBLAS_STATUS_SUCCESS) return st_;       \
  } while (0)

cublasStatus_t run_lt(const LtOperands& o, void* workspace, size_t ws_bytes, cudaStream_t stream) {
  cublasLtHandle_t h = nullptr;
  MRS_LT_CHECK(lt_handle(&h));
  LtDescs d;
  MRS_LT_CHECK(cublasLtMatmulDescCreate(&d.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  MRS_LT_CHECK(cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  MRS_LT_CHECK(cublasLtMatmulDescSetAttribute(d.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  MRS_LT_CHECK(cublasLtMatrixLayoutCreate(&d.a, o.a_type, static_cast<uint64_t>(o.k), static_cast<uint64_t>(o.n), o.lda));
  MRS_LT_CHECK(cublasLtMatrixLayoutCreate(&d.b, o.b_type, static_cast<uint64_t>(o.k), static_cast<uint64_t>(o.m), o.ldb));
  MRS_LT_CHECK(cublasLtMatrixLayoutCreate(&d.c, CUDA_R_32F, static_cast<uint64_t>(o.n), static_cast<uint64_t>(o.m), o.ldc));
  MRS_LT_CHECK(cublasLtMatmulPreferenceCreate(&d.pref));
  const uint64_t ws = ws_bytes;
  MRS_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
  // The heuristic assumes 256-byte aligned operands unless told otherwise; strided or
  // offset views may be less aligned.
  const uint32_t al_a = alignment_of(o.a, o.lda * o.elem_bytes), al_b = alignment_of(o.b, o.ldb * o.elem_bytes);
  const uint32_t al_c = alignment_of(o.c, o.ldc * 4);
  MRS_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof(al_a)));
  MRS_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof(al_b)));
  MRS_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof(al_c)));
  MRS_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c, sizeof(al_c)));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  MRS_LT_CHECK(cublasLtMatmulAlgoGetHeuristic(h, d.op, d.a, d.b, d.c, d.c, d.pref, 1, &result, &found));
  // A returned result is usable only when its own state says so (cublasLt.h).
  if (found < 1 || result.state != CUBLAS_STATUS_SUCCESS) return CUBLAS_STATUS_NOT_SUPPORTED;
  const float alpha = 1.0f, beta = 0.0f;
  return cublasLtMatmul(h, d.op, &alpha, o.a, d.a, o.b, d.b, &beta, o.c, d.c, o.c, d.c, &result.algo, workspace,
                        ws_bytes, stream);
}

int dequant_launch(const void* w, int64_t w_row_bytes, WeightFormat f, int64_t n, int64_t k, uint16_t* out,
                   cudaStream_t s) {
  const unsigned grid = grid_for(n * (k / 8), kCastThreads);
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  switch (f) {
    case WeightFormat::kQ8_0: dequant_f16_kernel<WeightFormat::kQ8_0><<<grid, kCastThreads, 0, s>>>(wb, w_row_bytes, n, k, out); break;
    case WeightFormat::kQ4_0: dequant_f16_kernel<WeightFormat::kQ4_0><<<grid, kCastThreads, 0, s>>>(wb, w_row_bytes, n, k, out); break;
    case WeightFormat::kQ4_K: dequant_f16_kernel<WeightFormat::kQ4_K><<<grid, kCastThreads, 0, s>>>(wb, w_row_bytes, n, k, out); break;
    case WeightFormat::kQ6_K: dequant_f16_kernel<WeightFormat::kQ6_K><<<grid, kCastThreads, 0, s>>>(wb, w_row_bytes, n, k, out); break;
    default: return static_cast<int>(cudaErrorInvalidValue);
  }
  return static_cast<int>(cudaGetLastError());
}

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Everything after the checks: temporaries, casts, the GEMM, the free.
int prefill_body(const MatmulLaunch& l, cudaStream_t s, int* detail) {
  const bool is_f32 = l.w_format == WeightFormat::kF32;
  const bool is_bf16 = l.w_format == WeightFormat::kBF16;
  const bool is_block = format_block(l.w_format).elems > 1;
  const size_t x16_bytes = is_f32 ? 0 : round_up(static_cast<size_t>(l.m * l.k) * 2, 256);
  const size_t w16_bytes = is_block ? round_up(static_cast<size_t>(l.n * l.k) * 2, 256) : 0;
  uint8_t* tmp = nullptr;
  cudaError_t e = cudaMallocAsync(reinterpret_cast<void**>(&tmp), x16_bytes + w16_bytes + kWorkspaceBytes, s);
  if (e != cudaSuccess) {
    // The runtime also records a failed call as this thread's last error; an out-of-memory
    // here is not sticky, so clear it or the next launch check anywhere reports it again.
    (void)cudaGetLastError();
    return static_cast<int>(e);
  }
  void* x16 = tmp;
  uint16_t* w16 = reinterpret_cast<uint16_t*>(tmp + x16_bytes);
  void* workspace = tmp + x16_bytes + w16_bytes;
  int err = 0;
  bool unsupported = false;
  if (!is_f32) {
    const dim3 grid(grid_for(l.k, kCastThreads), static_cast<unsigned>(l.m < 65535 ? l.m : 65535));
    if (is_bf16) {
      cast_rows_kernel<__nv_bfloat16><<<grid, kCastThreads, 0, s>>>(l.x, l.ldx, l.m, l.k, static_cast<__nv_bfloat16*>(x16));
    } else {
      cast_rows_kernel<__half><<<grid, kCastThreads, 0, s>>>(l.x, l.ldx, l.m, l.k, static_cast<__half*>(x16));
    }
    err = static_cast<int>(cudaGetLastError());
  }
  if (err == 0 && is_block) err = dequant_launch(l.w, l.w_row_bytes, l.w_format, l.n, l.k, w16, s);
  if (err == 0) {
    LtOperands o{};
    o.m = l.m, o.n = l.n, o.k = l.k;
    o.c = l.y, o.ldc = l.ldy;
    if (is_f32) {
      o.a = l.w, o.a_type = CUDA_R_32F, o.lda = l.w_row_bytes / 4;
      o.b = l.x, o.b_type = CUDA_R_32F, o.ldb = l.ldx, o.elem_bytes = 4;
    } else {
      const cudaDataType_t t = is_bf16 ? CUDA_R_16BF : CUDA_R_16F;
      o.a = is_block ? static_cast<const void*>(w16) : l.w, o.a_type = t;
      o.lda = is_block ? l.k : l.w_row_bytes / 2;
      o.b = x16, o.b_type = t, o.ldb = l.k, o.elem_bytes = 2;
    }
    const cublasStatus_t st = run_lt(o, workspace, kWorkspaceBytes, s);
    if (st == CUBLAS_STATUS_NOT_SUPPORTED) {
      unsupported = true;  // e.g. rows of w 2-byte aligned only: no cuBLASLt kernel takes them
    } else if (st != CUBLAS_STATUS_SUCCESS) {
      if (detail) *detail = static_cast<int>(st);
      err = static_cast<int>(cudaErrorUnknown);
    }
  }
  const cudaError_t fe = cudaFreeAsync(tmp, s);  // always, so a failure leaks nothing
  if (err == 0 && fe == cudaSuccess && unsupported) return matmul_decode(l, s);  // slower, exact
  return err != 0 ? err : static_cast<int>(fe);
}

}  // namespace

int matmul_prefill(const MatmulLaunch& l, void* stream, int* detail) {
  if (detail) *detail = 0;
  const FormatBlock fb = format_block(l.w_format);
  if (fb.elems == 0 || l.m < 0 || l.n < 0 || l.k < 0 || l.k % fb.elems != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  if (l.m == 0 || l.n == 0) return 0;
  if (l.k == 0) return matmul_decode(l, stream);  // y = 0; cuBLASLt rejects k = 0
  const int64_t row_data = l.k / fb.elems * fb.bytes;
  const int64_t elem = fb.elems == 1 ? fb.bytes : 2;  // bytes per element of the GEMM's A
  if (!l.x || !l.y || !l.w || l.ldx < l.k || l.ldy < l.n || l.w_row_bytes < row_data ||
      l.w_row_bytes % elem != 0 || reinterpret_cast<uintptr_t>(l.w) % elem != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  return prefill_body(l, static_cast<cudaStream_t>(stream), detail);
}

int dequantize_to_f16(const void* w, int64_t w_row_bytes, WeightFormat f, int64_t n, int64_t k, uint16_t* out,
                      void* stream) {
  const FormatBlock fb = format_block(f);
  if (fb.elems <= 1 || n < 0 || k < 0 || k % fb.elems != 0 || w_row_bytes < k / fb.elems * fb.bytes ||
      reinterpret_cast<uintptr_t>(w) % 2 != 0 || w_row_bytes % 2 != 0 || reinterpret_cast<uintptr_t>(out) % 16 != 0)
    return static_cast<int>(cudaErrorInvalidValue);
  if (n == 0 || k == 0) return 0;
  if (!w || !out) return static_cast<int>(cudaErrorInvalidValue);
  return dequant_launch(w, w_row_bytes, f, n, k, out, static_cast<cudaStream_t>(stream));
}

const char* cublas_status_string(int status) {
  return cublasLtGetStatusString(static_cast<cublasStatus_t>(status));
}

}  // namespace mistralrs::kernels
