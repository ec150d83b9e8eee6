// The sampler chain's per-token cost on one core (the chain is single-threaded):
//   chain/*       sample() over 128k-entry logits (Llama 3's 128256 rounded to 2^17) after
//                 an 8k-token history: SamplerParams::request_defaults() (top-k 40, top-p
//                 0.95, min-p 0.05, temperature 0.8, penalties over 64) with DRY on
//                 (multiplier 0.8, window = context = 8192) and without; top_p_only drops
//                 top-k, so top-p sorts the 128k entries itself (partially).
//   copy_only     apply() with every stage off: reading and writing the row, the floor.
//   dry/N         dry_deltas alone over an N-token window: the breaker scan and Z-array are
//                 O(N); the counter ns_per_token should stay flat as N doubles.
// The history has no breaker token, so the breaker scan runs over the whole window (the
// worst case), and 1 token in 4 starts a copy of an earlier 8..40-token stretch, so DRY
// finds repeats of every length to penalise. Compare with one decode step of the 110M
// model (`mistralrs bench -m bench-110m-q8_0.gguf -t 1`, tools/gen_bench_model.py).
#include <benchmark/benchmark.h>

#include <vector>

#include "sampling/dry.h"
#include "sampling/rng.h"
#include "sampling/sampler_chain.h"

namespace mistralrs {
namespace {

constexpr size_t kVocab = size_t{1} << 17;
constexpr int32_t kContext = 8192;

std::vector<int32_t> make_history(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> h;
  while (h.size() < n) {
    if (h.size() > 64 && rng.next_u64() % 4 == 0) {
      const size_t len = 8 + rng.next_u64() % 33;
      const size_t from = rng.next_u64() % (h.size() - len);
      for (size_t i = 0; i < len && h.size() < n; ++i) h.push_back(h[from + i]);
    } else {
      h.push_back(static_cast<int32_t>(16 + rng.next_u64() % (kVocab - 16)));  // ids 0..15 are breakers
    }
  }
  return h;
}

std::vector<float> make_logits(uint64_t seed) {
  Rng rng(seed);
  std::vector<float> l(kVocab);
  // A sum of uniforms: roughly normal with sd 1.5, a plausible spread for real logits.
  for (float& x : l) x = 1.5f * (rng.next_float() + rng.next_float() + rng.next_float() - 1.5f) * 2.0f;
  return l;
}

DryParams dry_on() {
  DryParams d;
  d.multiplier = 0.8f;
  d.penalty_last_n = -1;
  // Token breakers stand in for "\n", ":", "\"", "*" (no 128k tokenizer here): the table's
  // size does not change the per-token cost, one byte lookup per scanned token.
  d.breakers = {DryBreaker{{}, {1}}, DryBreaker{{}, {2}}, DryBreaker{{}, {3}}, DryBreaker{{}, {4, 5}}};
  return d;
}

void run_chain(benchmark::State& state, SamplerParams p) {
  auto chain = SamplerChain::create(p, nullptr, kContext);
  if (!chain) {
    state.SkipWithError(chain.status().message().c_str());
    return;
  }
  for (int32_t t : make_history(kContext, 7)) (void)chain.value()->accept(t);
  const std::vector<float> logits = make_logits(11);
  for (auto _ : state) {
    auto t = chain.value()->sample(logits.data(), logits.size());
    benchmark::DoNotOptimize(t);
  }
  state.counters["vocab"] = static_cast<double>(kVocab);
  state.counters["history"] = kContext;
}

void BM_ChainDefaultsWithDry(benchmark::State& state) {
  SamplerParams p = SamplerParams::request_defaults();
  p.dry = dry_on();
  run_chain(state, p);
}

void BM_ChainDefaultsNoDry(benchmark::State& state) { run_chain(state, SamplerParams::request_defaults()); }

void BM_ChainTopPOnlyWithDry(benchmark::State& state) {
  SamplerParams p = SamplerParams::request_defaults();
  p.top_k = 0;
  p.dry = dry_on();
  run_chain(state, p);
}

void BM_CopyOnly(benchmark::State& state) {
  auto chain = SamplerChain::create(SamplerParams{}, nullptr, 0);
  const std::vector<float> logits = make_logits(11);
  std::vector<float> row(kVocab);
  for (auto _ : state) {
    row = logits;
    (void)chain.value()->apply(row.data(), row.size());
    benchmark::DoNotOptimize(row.data());
  }
}

void BM_DryAlone(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const std::vector<int32_t> window = make_history(n, 7);
  auto table = DryBreakerTable::build(dry_on().breakers, nullptr);
  DryScratch scratch;
  std::vector<LogitDelta> out;
  for (auto _ : state) {
    dry_deltas(window, table.value(), dry_on(), scratch, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetComplexityN(static_cast<int64_t>(n));
  state.counters["ns_per_token"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
  state.counters["penalised"] = static_cast<double>(out.size());
}

BENCHMARK(BM_ChainDefaultsWithDry)->Name("sampler/chain/defaults_dry")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainDefaultsNoDry)->Name("sampler/chain/defaults")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ChainTopPOnlyWithDry)->Name("sampler/chain/top_p_only_dry")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CopyOnly)->Name("sampler/copy_only")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DryAlone)
    ->Name("sampler/dry")
    ->Arg(1024)
    ->Arg(2048)
    ->Arg(4096)
    ->Arg(8192)
    ->Complexity(benchmark::oN)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mistralrs
