// matmul throughput at k = n = 4096 (a 7B model's attention projection), per weight dtype,
// on 1 and 2 threads:
//   decode         m = 1, the same weights every call: weights up to ~L3 size (q8_0 17.8 MB,
//                  q4_0 / q4_k 9.4 MB) are then served from cache, not DRAM.
//   decode_stream  m = 1, rotating through copies of the weights totalling >= 256 MiB, so
//                  every call reads DRAM, as decoding through a model's layers does.
//   prefill        m = 512.
//   *_dequant      block types through the dequantize + f32-FMA path, for comparison with
//                  the int8 path.
// Counters: GFLOP/s = 2 m n k / time; GB/s = weight bytes / time; triad_GB/s = STREAM triad
// bandwidth of this machine on the same thread count (src/core/bandwidth.h, measured once
// per thread count); bw_fraction = GB/s / triad_GB/s.
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/bandwidth.h"
#include "core/quant.h"
#include "ops/cpu/matmul_cpu.h"

namespace mistralrs {
namespace {

constexpr int64_t kK = 4096, kN = 4096;
constexpr size_t kStreamBytes = size_t{256} << 20;

struct Weights {
  std::vector<uint8_t> bytes;  // `copies` back-to-back copies of w[kN, kK]
  size_t copy_bytes = 0;
  int copies = 1;
};

// Quantized once per (dtype, copies) and kept: quantizing 16M values takes about a second.
const Weights& weights(DType t, bool stream) {
  static std::map<std::pair<DType, bool>, std::unique_ptr<Weights>> cache;
  auto& slot = cache[{t, stream}];
  if (slot) return *slot;
  slot = std::make_unique<Weights>();
  const int64_t row_bytes = dtype_bytes(t, kK);
  slot->copy_bytes = static_cast<size_t>(row_bytes * kN);
  slot->copies = stream ? static_cast<int>((kStreamBytes + slot->copy_bytes - 1) / slot->copy_bytes) : 1;
  slot->bytes.resize(slot->copy_bytes * static_cast<size_t>(slot->copies));
  std::mt19937 rng(42);
  std::normal_distribution<float> g(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(kK));
  for (int64_t r = 0; r < kN; ++r) {
    for (float& v : row) v = g(rng);
    quantize_row(t, row.data(), slot->bytes.data() + r * row_bytes, kK);
  }
  for (int c = 1; c < slot->copies; ++c)
    std::memcpy(slot->bytes.data() + c * slot->copy_bytes, slot->bytes.data(), slot->copy_bytes);
  return *slot;
}

ThreadPool& pool(int threads) {
  static std::map<int, std::unique_ptr<ThreadPool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<ThreadPool>(threads);
  return *p;
}

double triad_gbs(int threads) {
  static std::map<int, double> cache;
  auto it = cache.find(threads);
  if (it == cache.end()) it = cache.emplace(threads, measure_triad_bandwidth_gbs(&pool(threads))).first;
  return it->second;
}

struct Case {
  DType type;
  int64_t m;
  bool stream, dequantize;
};

void bm_matmul(benchmark::State& state, Case c) {
  const int threads = static_cast<int>(state.range(0));
  const Weights& w = weights(c.type, c.stream);
  std::vector<float> x(static_cast<size_t>(c.m * kK)), y(static_cast<size_t>(c.m * kN));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& v : x) v = u(rng);
  cpu::MatmulArgs a;
  a.x = x.data(), a.ldx = kK, a.w_row_bytes = dtype_bytes(c.type, kK), a.w_type = c.type;
  a.y = y.data(), a.ldy = kN, a.m = c.m, a.n = kN, a.k = kK;
  const cpu::MatmulOptions opt{cpu::MatmulIsa::kAuto, c.dequantize};
  int copy = 0;
  for (auto _ : state) {
    a.w = w.bytes.data() + static_cast<size_t>(copy) * w.copy_bytes;
    copy = copy + 1 == w.copies ? 0 : copy + 1;
    const Status s = cpu::matmul(&pool(threads), a, opt);
    if (!s.is_ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double iters = static_cast<double>(state.iterations());
  const double gbytes = static_cast<double>(w.copy_bytes) * 1e-9 * iters;
  const double triad = triad_gbs(threads);
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(c.m * kN * kK) * 1e-9 * iters, benchmark::Counter::kIsRate);
  state.counters["GB/s"] = benchmark::Counter(gbytes, benchmark::Counter::kIsRate);
  state.counters["triad_GB/s"] = triad;
  state.counters["bw_fraction"] = benchmark::Counter(triad > 0 ? gbytes / triad : 0.0, benchmark::Counter::kIsRate);
  state.SetLabel(cpu::matmul_isa_name(cpu::matmul_best_isa(c.type, c.dequantize)));
}

const bool kRegistered = [] {
  const DType types[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                         DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};
  for (DType t : types) {
    const std::string name = "matmul/" + std::string(dtype_name(t));
    for (bool dequantize : {false, true}) {
      if (dequantize && !is_block_type(t)) continue;
      const std::string suffix = dequantize ? "_dequant" : "";
      const Case cases[] = {{t, 1, false, dequantize}, {t, 1, true, dequantize}, {t, 512, false, dequantize}};
      const char* kinds[] = {"/decode", "/decode_stream", "/prefill"};
      for (int i = 0; i < 3; ++i)
        benchmark::RegisterBenchmark((name + kinds[i] + suffix).c_str(), bm_matmul, cases[i])
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace mistralrs
