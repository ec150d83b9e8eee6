#include "core/bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>

namespace mistralrs {

namespace {
struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float, FreeDeleter>;

Buffer alloc_floats(size_t n) {
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  return Buffer(static_cast<float*>(std::aligned_alloc(64, bytes)));
}
}  // namespace

double measure_triad_bandwidth_gbs(ThreadPool* pool, size_t bytes_per_array, int repetitions) {
  const size_t n = bytes_per_array / sizeof(float);
  Buffer a = alloc_floats(n), b = alloc_floats(n), c = alloc_floats(n);
  if (!a || !b || !c || n == 0) return 0.0;
  float* pa = a.get();
  float* pb = b.get();
  float* pc = c.get();
  // First touch from the threads that will stream the data (matters on NUMA machines).
  parallel_for(pool, static_cast<int64_t>(n), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      pa[i] = 0.0f;
      pb[i] = 1.0f;
      pc[i] = 2.0f;
    }
  });
  const float s = 3.0f;
  double best = 1e30;
  for (int r = 0; r < std::max(1, repetitions); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(pool, static_cast<int64_t>(n), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) pa[i] = pb[i] + s * pc[i];
    });
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best = std::min(best, dt.count());
  }
  // Keep the result observable so the loop cannot be elided.
  volatile float sink = pa[n / 2];
  (void)sink;
  return 3.0 * static_cast<double>(n * sizeof(float)) / best / 1e9;
}

}  // namespace mistralrs
