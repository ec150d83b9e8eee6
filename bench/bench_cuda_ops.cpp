// Achieved device memory bandwidth of the row-wise kernels at [4096, 4096] (64 MiB per f32
// operand), beside a device-to-device memcpy measured by the same program: the practical
// ceiling for a bandwidth-bound kernel. rms_norm and add: wall-clock batches (below);
// layer_norm, softmax, rope, silu_mul and cast: CUDA events with a cold L2
// (bench/cuda_ceilings.h), counters GB/s, copy_GB/s and of_copy (their ratio).
// Each timed iteration launches kBatch kernels and synchronises once, so launch and sync
// latency (a few microseconds) is spread over the batch rather than dominating it.
#ifdef MISTRALRS_HAS_CUDA

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "cast.h"
#include "core/tensor.h"
#include "cuda_ceilings.h"
#include "cuda_memory.h"
#include "elementwise.h"
#include "layer_norm.h"
#include "rms_norm.h"
#include "rope.h"
#include "softmax.h"

namespace mistralrs {
namespace {

constexpr int64_t kRows = 4096;
constexpr int64_t kCols = 4096;
constexpr int kBatch = 20;

bool have_device(benchmark::State& state) {
  int n = 0;
  const int err = kernels::cuda_device_count(&n);
  if (err != 0 || n == 0) {
    const std::string why =
        err != 0 ? std::string("CUDA: ") + kernels::cuda_error_string(err) : "no CUDA device";
    state.SkipWithError(why.c_str());
    return false;
  }
  return true;
}

// Device tensors of `shape`, or a skip with the reason.
bool alloc(benchmark::State& state, std::vector<Tensor>& out, int count, Shape shape,
           DType dtype = DType::kF32) {
  for (int i = 0; i < count; ++i) {
    auto t = Tensor::empty(shape, dtype, Device::cuda(0));
    if (!t) {
      state.SkipWithError(t.status().message().c_str());
      return false;
    }
    out.push_back(std::move(t.value()));
  }
  return true;
}

// Runs `launch` kBatch times per iteration under manual timing; `bytes` moved per launch.
template <class Launch>
void timed_loop(benchmark::State& state, double bytes, Launch launch) {
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    int err = 0;
    for (int i = 0; i < kBatch && err == 0; ++i) err = launch();
    if (err == 0) err = kernels::cuda_synchronize(nullptr);
    const auto t1 = std::chrono::steady_clock::now();
    if (err != 0) {
      state.SkipWithError(kernels::cuda_error_string(err));
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count() / kBatch);
  }
  state.counters["GB/s"] = benchmark::Counter(bytes * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}

void BM_CudaMemcpyD2D(benchmark::State& state) {
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 2, {kRows, kCols})) return;
  const size_t bytes = t[0].nbytes();
  timed_loop(state, 2.0 * static_cast<double>(bytes), [&] {
    return kernels::cuda_memcpy_d2d(t[1].as<float>(), t[0].as<float>(), bytes);
  });
}

// Reads x (and w, negligible) once from DRAM, re-reads x from L2, writes y: 2 x 64 MiB.
void BM_CudaRmsNorm(benchmark::State& state) {
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 2, {kRows, kCols}) || !alloc(state, t, 1, {kCols}))
    return;
  const double bytes = 2.0 * static_cast<double>(t[0].nbytes());
  timed_loop(state, bytes, [&] {
    return kernels::rms_norm_f32(t[0].as<float>(), t[2].as<float>(), t[1].as<float>(), kRows,
                                 kCols, kCols, kCols, 1e-5f, nullptr);
  });
}

// y = a + b, all [4096, 4096]: 3 x 64 MiB.
void BM_CudaAdd(benchmark::State& state) {
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 3, {kRows, kCols})) return;
  const double bytes = 3.0 * static_cast<double>(t[0].nbytes());
  timed_loop(state, bytes, [&] {
    return kernels::add_f32(t[0].as<float>(), t[1].as<float>(), t[2].as<float>(), kRows, kCols,
                            kCols, kCols, kCols, nullptr);
  });
}

// y = a + b with b: [4096] broadcast over rows: 2 x 64 MiB.
void BM_CudaAddBroadcast(benchmark::State& state) {
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 2, {kRows, kCols}) || !alloc(state, t, 1, {kCols}))
    return;
  const double bytes = 2.0 * static_cast<double>(t[0].nbytes());
  timed_loop(state, bytes, [&] {
    return kernels::add_f32(t[0].as<float>(), t[2].as<float>(), t[1].as<float>(), kRows, kCols,
                            kCols, 0, kCols, nullptr);
  });
}

// Median of 20 event-timed launches, each after an L2 flush; `bytes` is the least DRAM
// traffic of one launch (each operand read or written once).
template <class Launch>
void event_timed(benchmark::State& state, double bytes, Launch launch) {
  std::string err;
  double ms = 0.0;
  for (auto _ : state) {
    ms = bench::time_ms([&](void* stream) { return launch(stream); }, 20, 3, nullptr, &err);
    if (ms <= 0.0) {
      state.SkipWithError(err.empty() ? "timing failed" : err.c_str());
      return;
    }
    state.SetIterationTime(ms / 1e3);
  }
  const double gbs = bytes / (ms / 1e3) / 1e9, copy = bench::copy_bandwidth_gbs();
  state.counters["GB/s"] = gbs;
  state.counters["copy_GB/s"] = copy;
  state.counters["of_copy"] = copy > 0.0 ? gbs / copy : 0.0;
}

// x in, y out (w, b negligible): 2 x 64 MiB.
void BM_CudaLayerNorm(benchmark::State& state) {
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 2, {kRows, kCols}) || !alloc(state, t, 2, {kCols}))
    return;
  event_timed(state, 2.0 * static_cast<double>(t[0].nbytes()), [&](void* s) {
    return kernels::layer_norm_f32(t[0].as<float>(), t[2].as<float>(), t[3].as<float>(),
                                   t[1].as<float>(), kRows, kCols, kCols, kCols, 1e-5f, s);
  });
}

// range(0) rows of range(1) columns, x in, y out. [1, 131072] is one vocabulary-sized row:
// a single block, so far below the copy rate (latency, not bandwidth).
void BM_CudaSoftmax(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 2, {rows, cols})) return;
  event_timed(state, 2.0 * static_cast<double>(t[0].nbytes()), [&](void* s) {
    return kernels::softmax_f32(t[0].as<float>(), t[1].as<float>(), rows, cols, cols, cols, s);
  });
}

// A prefill's q: [4096 tokens, 32 heads, 128] in place, theta 500000: 2 x 64 MiB.
void BM_CudaRope(benchmark::State& state) {
  constexpr int64_t kTokens = 4096, kHeads = 32, kHeadDim = 128;
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 1, {kTokens, kHeads, kHeadDim})) return;
  kernels::RopeArgs a;
  a.x = t[0].as<float>();
  a.y = t[0].as<float>();
  a.n_tokens = kTokens;
  a.n_heads = kHeads;
  a.head_dim = a.rotary_dim = kHeadDim;
  a.x_token_stride = a.y_token_stride = kHeads * kHeadDim;
  a.x_head_stride = a.y_head_stride = kHeadDim;
  a.theta = 500000.0f;
  event_timed(state, 2.0 * static_cast<double>(t[0].nbytes()),
              [&](void* s) { return kernels::rope_f32(a, s); });
}

// y = silu(gate) * up: 3 x 64 MiB.
void BM_CudaSiluMul(benchmark::State& state) {
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 3, {kRows, kCols})) return;
  event_timed(state, 3.0 * static_cast<double>(t[0].nbytes()), [&](void* s) {
    return kernels::silu_mul_f32(t[0].as<float>(), t[1].as<float>(), t[2].as<float>(), kRows,
                                 kCols, kCols, kCols, kCols, s);
  });
}

// range(0) -> range(1) as kernels::CastType (0 f32, 1 f16, 2 bf16): bytes of x plus y.
void BM_CudaCast(benchmark::State& state) {
  const DType dtypes[] = {DType::kF32, DType::kF16, DType::kBF16};
  const auto from = static_cast<kernels::CastType>(state.range(0));
  const auto to = static_cast<kernels::CastType>(state.range(1));
  std::vector<Tensor> t;
  if (!have_device(state) || !alloc(state, t, 1, {kRows, kCols}, dtypes[state.range(0)]) ||
      !alloc(state, t, 1, {kRows, kCols}, dtypes[state.range(1)]))
    return;
  event_timed(state, static_cast<double>(t[0].nbytes() + t[1].nbytes()), [&](void* s) {
    return kernels::cast_rows(t[0].view().data, from, t[1].view().data, to, kRows, kCols, kCols,
                              kCols, s);
  });
}

BENCHMARK(BM_CudaMemcpyD2D)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaRmsNorm)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaAdd)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaAddBroadcast)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaLayerNorm)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaSoftmax)->Args({4096, 4096})->Args({1, 131072})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaRope)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaSiluMul)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaCast)->Args({0, 2})->Args({2, 0})->Args({0, 1})->Args({1, 2})->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mistralrs

#endif  // MISTRALRS_HAS_CUDA
