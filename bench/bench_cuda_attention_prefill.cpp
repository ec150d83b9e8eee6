// Fused prefill attention (kernels::attention_prefill), bf16, head dim 128, 32 query heads
// over 8 kv heads, one causal sequence of 4k, 8k and 16k tokens, contiguous K/V, f32 -> bf16
// output. Reported as TFLOP/s of the causal work, 4 * (n^2 / 2) * d * heads (QK^T and PV,
// 2 FLOPs per multiply-add, half the score matrix), beside the cuBLAS bf16 GEMM rate
// measured by the same binary: "of_gemm" is the fraction (target >= 0.5).
// CUDA-event timing, median of the repetitions, L2 flushed before each.
#ifdef MISTRALRS_HAS_CUDA

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "attention.h"
#include "core/dtype.h"
#include "cuda_ceilings.h"
#include "cuda_memory.h"

namespace mistralrs {
namespace {

constexpr int kHeads = 32, kKvHeads = 8, kHeadDim = 128;

// Device buffer freed on scope exit.
struct DevBuf {
  void* ptr = nullptr;
  ~DevBuf() {
    if (ptr != nullptr) kernels::cuda_free(ptr);
  }
};

// Random bf16 values in [-1, 1) into a new device buffer of n elements.
int upload_random(DevBuf& buf, size_t n, uint32_t seed) {
  std::vector<uint16_t> host(n);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (uint16_t& x : host) x = fp32_to_bf16(dist(rng));
  const int err = kernels::cuda_malloc(&buf.ptr, n * 2, 0);
  return err != 0 ? err : kernels::cuda_memcpy_h2d(buf.ptr, host.data(), n * 2);
}

void BM_CudaAttentionPrefillBf16(benchmark::State& state) {
  const std::string why = bench::cuda_unavailable();
  if (!why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  const int64_t n = state.range(0);
  DevBuf q, k, v, out;
  const size_t q_elems = static_cast<size_t>(n) * kHeads * kHeadDim;
  const size_t kv_elems = static_cast<size_t>(n) * kKvHeads * kHeadDim;
  int err = upload_random(q, q_elems, 1);
  if (err == 0) err = upload_random(k, kv_elems, 2);
  if (err == 0) err = upload_random(v, kv_elems, 3);
  if (err == 0) err = kernels::cuda_malloc(&out.ptr, q_elems * 2, 0);
  if (err != 0) {
    state.SkipWithError(kernels::cuda_error_string(err));
    return;
  }
  kernels::AttnArgs a;
  a.type = kernels::AttnType::kBF16;
  a.q = q.ptr, a.q_row_stride = kHeads * kHeadDim, a.q_head_stride = kHeadDim;
  a.out = out.ptr, a.out_f32 = false, a.o_row_stride = kHeads * kHeadDim, a.o_head_stride = kHeadDim;
  a.n_q = n, a.n_heads = kHeads, a.head_dim = kHeadDim;
  a.kv.k = k.ptr, a.kv.v = v.ptr, a.kv.row_stride = kKvHeads * kHeadDim, a.kv.head_stride = kHeadDim;
  a.kv.n_kv = n, a.kv.n_kv_heads = kKvHeads;
  a.scale = 1.0f / 11.313708f;  // 1/sqrt(128)

  const double gemm = bench::gemm_bf16_tflops();
  const double flops = 4.0 * (static_cast<double>(n) * n / 2.0) * kHeadDim * kHeads;
  double ms = 0;
  for (auto _ : state) {
    std::string time_err;
    ms = bench::time_ms([&](void* stream) { return kernels::attention_prefill(a, stream); }, 10, 2, nullptr,
                        &time_err);
    if (ms <= 0) {
      state.SkipWithError(time_err.c_str());
      return;
    }
    state.SetIterationTime(ms / 1e3);
  }
  const double tflops = flops / (ms / 1e3) / 1e12;
  state.counters["TFLOP/s"] = tflops;
  state.counters["gemm_TFLOP/s"] = gemm;
  state.counters["of_gemm"] = gemm > 0 ? tflops / gemm : 0.0;
}

BENCHMARK(BM_CudaAttentionPrefillBf16)
    ->Arg(4096)
    ->Arg(8192)
    ->Arg(16384)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mistralrs

#endif  // MISTRALRS_HAS_CUDA
