// Decode attention (kernels/attention_decode.cu): 1 query, 32 heads x 128 over 8 kv heads,
// bf16, contexts 4k to 128k, paged (block 16, shuffled table) and contiguous. The figure is
// GB/s of K and V read (2 * n_kv * 8 * 128 * 2 bytes per call), reported beside the
// device-to-device copy bandwidth measured by the same binary (bench/cuda_ceilings.h).
// Timing: CUDA events around one call (split kernel, combine kernel, the partial buffer's
// stream-ordered allocation), L2 flushed before each, median of 20.
#ifdef MISTRALRS_HAS_CUDA

#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "attention.h"
#include "core/tensor.h"
#include "cuda_ceilings.h"
#include "cuda_memory.h"

namespace mistralrs {
namespace {

constexpr int64_t kHeads = 32, kKvHeads = 8, kDim = 128, kBlock = 16;

Expected<Tensor> device_tensor(Shape s, DType t) { return Tensor::empty(s, t, Device::cuda(0)); }

void BM_CudaDecodeAttention(benchmark::State& state) {
  const int64_t n_kv = state.range(0);
  const bool paged = state.range(1) != 0;
  const std::string why = bench::cuda_unavailable();
  if (!why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  const int64_t n_blocks = (n_kv + kBlock - 1) / kBlock;
  auto k = device_tensor(Shape{n_blocks * kBlock, kKvHeads, kDim}, DType::kBF16);
  auto v = device_tensor(Shape{n_blocks * kBlock, kKvHeads, kDim}, DType::kBF16);
  auto q = device_tensor(Shape{1, kHeads, kDim}, DType::kBF16);
  auto out = device_tensor(Shape{1, kHeads, kDim}, DType::kBF16);
  auto table = device_tensor(Shape{n_blocks}, DType::kI32);
  if (!k || !v || !q || !out || !table) {
    state.SkipWithError("device allocation failed");
    return;
  }
  // Zero-filled K/V read as bf16 zeros: the kernel's traffic does not depend on the values.
  std::vector<int32_t> perm(static_cast<size_t>(n_blocks));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(1));
  if (kernels::cuda_memcpy_h2d(table.value().view().data, perm.data(), perm.size() * 4) != 0) {
    state.SkipWithError("table upload failed");
    return;
  }
  kernels::AttnArgs a;
  a.type = kernels::AttnType::kBF16;
  a.q = q.value().view().data;
  a.q_row_stride = kHeads * kDim;
  a.q_head_stride = kDim;
  a.out = out.value().view().data;
  a.o_row_stride = kHeads * kDim;
  a.o_head_stride = kDim;
  a.n_q = 1;
  a.n_heads = kHeads;
  a.head_dim = kDim;
  a.kv.k = k.value().view().data;
  a.kv.v = v.value().view().data;
  a.kv.block_table = paged ? table.value().as<const int32_t>() : nullptr;
  a.kv.block_size = kBlock;
  a.kv.block_stride = kBlock * kKvHeads * kDim;
  a.kv.row_stride = kKvHeads * kDim;
  a.kv.head_stride = kDim;
  a.kv.n_kv = n_kv;
  a.kv.n_kv_heads = kKvHeads;
  a.scale = 0.08838834764831845f;  // 1 / sqrt(128)
  a.q_position = n_kv - 1;
  double ms = 0.0;
  for (auto _ : state) {
    std::string err;
    ms = bench::time_ms([&](void* stream) { return kernels::attention_decode(a, stream); }, 20, 3,
                        nullptr, &err);
    if (ms <= 0) {
      state.SkipWithError(err.c_str());
      return;
    }
    state.SetIterationTime(ms / 1e3);
  }
  const double bytes = 2.0 * static_cast<double>(n_kv * kKvHeads * kDim) * 2.0;
  const double gbs = bytes / (ms * 1e-3) / 1e9;
  const double copy = bench::copy_bandwidth_gbs();
  state.counters["GB/s"] = gbs;
  state.counters["copy_GB/s"] = copy;
  state.counters["of_copy"] = copy > 0 ? gbs / copy : 0.0;
  state.counters["us"] = ms * 1e3;
}

void decode_args(benchmark::internal::Benchmark* b) {
  for (int64_t paged : {1, 0})
    for (int64_t n_kv : {4096, 16384, 32768, 65536, 131072}) b->Args({n_kv, paged});
}

BENCHMARK(BM_CudaDecodeAttention)->Apply(decode_args)->ArgNames({"n_kv", "paged"})->UseManualTime()
    ->Iterations(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mistralrs

#endif  // MISTRALRS_HAS_CUDA
