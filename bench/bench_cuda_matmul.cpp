// CUDA matmul speed beside the ceilings measured by the same program (bench/cuda_ceilings.h):
// - Decode (m rows of x, every weight dtype, the Llama/Mistral-7B projection shapes):
//   weight bytes read per second ("GB/s") beside a device-to-device copy ("copy_GB/s");
//   "of_copy" is the ratio (target >= 0.75). x and y are negligible at these shapes.
// - Prefill (f16, bf16, q4_0 weights through cuBLASLt; q4_0 includes its dequantization
//   to f16 and the x cast, as the op runs them): TFLOP/s (2mnk per multiply) beside cuBLAS's
//   own bf16 GEMM at 8192^3 ("gemm_TFLOP/s"); "of_gemm" is the ratio (target >= 0.9).
// Times are CUDA-event medians with L2 flushed before each run (weights of 9-117 MB would
// otherwise sit partly in the 50 MB L2). Weights are a byte pattern (finite scales): speed
// does not depend on the values.
#ifdef MISTRALRS_HAS_CUDA

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <iterator>
#include <string>

#include "core/dtype.h"
#include "cuda_ceilings.h"
#include "matmul.h"

namespace mistralrs {
namespace {

constexpr DType kDecodeTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                                  DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};

// A device buffer filled with one byte (0x11: f16 0x1111 ~ 6e-4, f32/bf16 similar, all finite).
struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(size_t bytes) {
    if (cudaMalloc(&p, bytes) != cudaSuccess || cudaMemset(p, 0x11, bytes) != cudaSuccess) {
      cudaFree(p);
      p = nullptr;
      cudaGetLastError();
    }
  }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

kernels::WeightFormat format_of(DType t) { return static_cast<kernels::WeightFormat>(static_cast<int32_t>(t)); }

// Times launch (CUDA events, L2 flushed, median of 20) once per benchmark iteration.
template <class Launch>
bool run_timed(benchmark::State& state, Launch launch, double* ms_out) {
  for (auto _ : state) {
    std::string err;
    const double ms = bench::time_ms([&](void* s) { return launch(s); }, 20, 3, nullptr, &err);
    if (ms <= 0) {
      state.SkipWithError(("CUDA: " + err).c_str());
      return false;
    }
    state.SetIterationTime(ms * 1e-3);
    *ms_out = ms;
  }
  return true;
}

// args: dtype index, m, n, k.
void BM_CudaDecodeMatmul(benchmark::State& state) {
  const std::string why = bench::cuda_unavailable();
  if (!why.empty()) return state.SkipWithError(why.c_str());
  const DType t = kDecodeTypes[state.range(0)];
  const int64_t m = state.range(1), n = state.range(2), k = state.range(3);
  const size_t w_bytes = static_cast<size_t>(dtype_bytes(t, n * k));
  DeviceBuffer w(w_bytes), x(static_cast<size_t>(m * k) * 4), y(static_cast<size_t>(m * n) * 4);
  if (!w.p || !x.p || !y.p) return state.SkipWithError("cudaMalloc failed");
  kernels::MatmulLaunch a;
  a.x = static_cast<const float*>(x.p), a.ldx = k;
  a.w = w.p, a.w_row_bytes = dtype_bytes(t, k), a.w_format = format_of(t);
  a.y = static_cast<float*>(y.p), a.ldy = n;
  a.m = m, a.n = n, a.k = k;
  double ms = 0;
  if (!run_timed(state, [&](void* s) { return kernels::matmul_decode(a, s); }, &ms)) return;
  const double gbs = static_cast<double>(w_bytes) / (ms * 1e-3) / 1e9, copy = bench::copy_bandwidth_gbs();
  state.SetLabel(std::string(dtype_name(t)));
  state.counters["GB/s"] = gbs;
  state.counters["copy_GB/s"] = copy;
  state.counters["of_copy"] = copy > 0 ? gbs / copy : 0.0;
}

// args: dtype (as DType value), m, n, k.
void BM_CudaPrefillMatmul(benchmark::State& state) {
  const std::string why = bench::cuda_unavailable();
  if (!why.empty()) return state.SkipWithError(why.c_str());
  const DType t = static_cast<DType>(state.range(0));
  const int64_t m = state.range(1), n = state.range(2), k = state.range(3);
  DeviceBuffer w(static_cast<size_t>(dtype_bytes(t, n * k))), x(static_cast<size_t>(m * k) * 4),
      y(static_cast<size_t>(m * n) * 4);
  if (!w.p || !x.p || !y.p) return state.SkipWithError("cudaMalloc failed");
  kernels::MatmulLaunch a;
  a.x = static_cast<const float*>(x.p), a.ldx = k;
  a.w = w.p, a.w_row_bytes = dtype_bytes(t, k), a.w_format = format_of(t);
  a.y = static_cast<float*>(y.p), a.ldy = n;
  a.m = m, a.n = n, a.k = k;
  double ms = 0;
  if (!run_timed(state, [&](void* s) { return kernels::matmul_prefill(a, s, nullptr); }, &ms)) return;
  const double tflops = 2.0 * m * static_cast<double>(n) * k / (ms * 1e-3) / 1e12;
  const double peak = bench::gemm_bf16_tflops();
  state.SetLabel(std::string(dtype_name(t)));
  state.counters["TFLOP/s"] = tflops;
  state.counters["gemm_TFLOP/s"] = peak;
  state.counters["of_gemm"] = peak > 0 ? tflops / peak : 0.0;
}

void decode_args(benchmark::internal::Benchmark* b) {
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(kDecodeTypes)); ++i) {
    b->Args({i, 1, 4096, 4096});
    b->Args({i, 1, 14336, 4096});
    b->Args({i, 1, 4096, 14336});
    b->Args({i, 8, 4096, 4096});
  }
}

void prefill_args(benchmark::internal::Benchmark* b) {
  for (DType t : {DType::kF16, DType::kBF16, DType::kQ4_0}) {
    const int64_t v = static_cast<int64_t>(t);
    b->Args({v, 8192, 8192, 8192});
    b->Args({v, 2048, 4096, 4096});
  }
}

BENCHMARK(BM_CudaDecodeMatmul)->Apply(decode_args)->ArgNames({"dtype", "m", "n", "k"})->UseManualTime()
    ->Iterations(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaPrefillMatmul)->Apply(prefill_args)->ArgNames({"dtype", "m", "n", "k"})->UseManualTime()
    ->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mistralrs

#endif  // MISTRALRS_HAS_CUDA
