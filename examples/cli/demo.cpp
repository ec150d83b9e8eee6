// The demo: what this machine can do before any model is loaded. For each thread count it
// measures the STREAM triad bandwidth, then times the decode-shape matmul (1 x 4096 by
// 4096 x 4096) for each weight dtype and prints the weight bytes streamed per second as a
// fraction of that bandwidth (the limit a decode step runs into), plus rms_norm and
// attention at decode shapes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "cli.h"
#include "core/bandwidth.h"
#include "core/quant.h"
#include "core/tensor.h"
#include "mistralrs.h"
#include "ops/ops.h"

namespace mistralrs_cli {

using namespace mistralrs;

namespace {

// Median wall time in seconds of `reps` calls after one warm-up call.
template <class Fn>
double median_seconds(int reps, Fn&& fn) {
  fn();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

Tensor random_f32(Shape s, uint32_t seed) {
  Tensor t = Tensor::empty(s, DType::kF32).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = u(rng);
  return t;
}

// Quantizes an f32 [n, k] matrix row by row into `dtype`.
Tensor quantize_matrix(const Tensor& w, DType dtype) {
  const int64_t n = w.shape()[0], k = w.shape()[1];
  Tensor q = Tensor::empty({n, k}, dtype).value();
  for (int64_t r = 0; r < n; ++r)
    quantize_row(dtype, w.as<float>() + r * k, q.view().row(r), k);
  return q;
}

struct Weights {
  DType dtype;
  Tensor w;  // [n, k]
};

// The same random matrix in every weight dtype, quantized once for all thread counts.
std::vector<Weights> make_weights(int64_t k, int64_t n) {
  Tensor w = random_f32({n, k}, 2);
  std::vector<Weights> out;
  for (DType dt : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                   DType::kQ4_K, DType::kQ6_K})
    out.push_back({dt, dt == DType::kF32 ? w : quantize_matrix(w, dt)});
  return out;
}

void bench_matmul(ThreadPool& pool, double bw_gbs, const std::vector<Weights>& weights, int reps) {
  OpContext ctx{&pool, nullptr};
  const int64_t n = weights[0].w.shape()[0], k = weights[0].w.shape()[1];
  Tensor x = random_f32({1, k}, 1);
  Tensor y = Tensor::empty({1, n}, DType::kF32).value();
  for (const Weights& wt : weights) {
    const std::string name(dtype_name(wt.dtype));
    Status st;
    const double s = median_seconds(reps, [&] { st = matmul(ctx, x.view(), wt.w.view(), y.view()); });
    if (!st.is_ok()) {
      std::printf("  matmul %-5s failed: %s\n", name.c_str(), st.to_string().c_str());
      continue;
    }
    const double gbs = static_cast<double>(wt.w.nbytes()) / s / 1e9;
    std::printf("  matmul 1x%lldx%lld %-5s %8.1f us  %7.1f GB/s  %5.0f%% of bandwidth  %6.1f GFLOP/s\n",
                static_cast<long long>(k), static_cast<long long>(n), name.c_str(), s * 1e6, gbs,
                100.0 * gbs / bw_gbs, 2.0 * static_cast<double>(k * n) / s / 1e9);
  }
}

void bench_small_ops(ThreadPool& pool, int reps) {
  OpContext ctx{&pool, nullptr};
  // rms_norm over one 4096-wide row, as in a decode step.
  Tensor x = random_f32({1, 4096}, 3), w = random_f32({4096}, 4);
  Tensor y = Tensor::empty({1, 4096}, DType::kF32).value();
  double s = median_seconds(reps * 10, [&] { (void)rms_norm(ctx, x.view(), w.view(), 1e-5f, y.view()); });
  std::printf("  rms_norm 1x4096            %8.2f us\n", s * 1e6);
  // Decode attention: 1 query, 32 heads / 8 KV heads of 128, 1024 cached positions.
  Tensor q = random_f32({1, 32, 128}, 5), kc = random_f32({1024, 8, 128}, 6),
         vc = random_f32({1024, 8, 128}, 7);
  Tensor o = Tensor::empty({1, 32, 128}, DType::kF32).value();
  AttentionParams ap;
  ap.q_position = 1023;
  Status st;
  s = median_seconds(reps, [&] { st = attention(ctx, q.view(), kc.view(), vc.view(), ap, o.view()); });
  if (st.is_ok()) {
    const double kv_bytes = 2.0 * 1024 * 8 * 128 * 4;
    std::printf("  attention 1q x 1024kv (32/8 heads x 128) %8.1f us  %6.1f GB/s of KV read\n",
                s * 1e6, kv_bytes / s / 1e9);
  } else {
    std::printf("  attention failed: %s\n", st.to_string().c_str());
  }
}

}  // namespace

int run_demo(const DemoOptions& opts) {
  std::printf("libmistralrs %s (C API %d.%d.%d)\n", mistralrs_version(), MISTRALRS_API_VERSION_MAJOR,
              MISTRALRS_API_VERSION_MINOR, MISTRALRS_API_VERSION_PATCH);
  mistralrs_runtime* rt = nullptr;
  if (mistralrs_runtime_create(nullptr, &rt) == MISTRALRS_OK) {
    std::printf("CUDA devices usable by this build: %d\n", mistralrs_runtime_cuda_devices(rt));
    mistralrs_runtime_free(rt);
  }
  const size_t bw_bytes = opts.quick ? (size_t{16} << 20) : (size_t{128} << 20);
  const int reps = opts.quick ? 3 : 20;
  const int64_t dim = opts.quick ? 1024 : 4096;
  const std::vector<Weights> weights = make_weights(dim, dim);
  for (int threads = 1; threads <= opts.max_threads; ++threads) {
    ThreadPool pool(threads);
    const double bw = measure_triad_bandwidth_gbs(&pool, bw_bytes, opts.quick ? 2 : 5);
    std::printf("\n%d thread%s: memory bandwidth (STREAM triad, 3 x %zu MiB) %.1f GB/s\n", threads,
                threads == 1 ? "" : "s", bw_bytes >> 20, bw);
    bench_matmul(pool, bw, weights, reps);
    bench_small_ops(pool, reps);
  }
  return 0;
}

}  // namespace mistralrs_cli
