// Achieved device memory bandwidth of the f32 rms_norm and add kernels at [4096, 4096]
// (64 MiB per operand), beside a device-to-device memcpy of the same bytes measured by the
// same program: the practical ceiling for a bandwidth-bound kernel.
// Each timed iteration launches kBatch kernels and synchronises once, so launch and sync
// latency (a few microseconds) is spread over the batch rather than dominating it.
#ifdef MISTRALRS_HAS_CUDA

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "cuda_memory.h"
#include "elementwise.h"
#include "rms_norm.h"

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
bool alloc(benchmark::State& state, std::vector<Tensor>& out, int count, Shape shape) {
  for (int i = 0; i < count; ++i) {
    auto t = Tensor::empty(shape, DType::kF32, Device::cuda(0));
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

BENCHMARK(BM_CudaMemcpyD2D)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaRmsNorm)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaAdd)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CudaAddBroadcast)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mistralrs

#endif  // MISTRALRS_HAS_CUDA
