// Time to first token of a 1,024-token prompt on the 110M model (tools/gen_bench_model.py,
// looked for in MISTRALRS_BENCH_MODEL_DIR, default ../benchmodels beside the project):
//   ttft/cache_off   the whole prompt is prefilled (chunks of 256)
//   ttft/cache_hit   the same prompt again with the prefix cache on: 63 blocks (1,008 tokens)
//                    are copied, 16 tokens computed
// The ratio is the figure for the target (>= 10x). Counter kv_bytes_per_token_layer
// is the block pool's f32 K+V size per token per layer, equal to 2 * n_kv * head_dim * 4.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <vector>

#include "pipeline/text_session.h"

namespace mistralrs {
namespace {

constexpr int64_t kPrompt = 1024;

std::string model_path() { return std::string(MISTRALRS_BENCH_MODEL_DIR) + "/bench-110m-q8_0.gguf"; }

void ttft(benchmark::State& state, bool cached) {
  if (!std::filesystem::exists(model_path())) {
    state.SkipWithError(("no model at " + model_path()).c_str());
    return;
  }
  CacheOptions o;
  o.prefix_cache = cached;
  auto m = TextModel::load(model_path(), o);
  if (!m) {
    state.SkipWithError(m.status().to_string().c_str());
    return;
  }
  ThreadPool pool(static_cast<int>(state.range(0)));
  std::vector<int32_t> prompt(kPrompt);
  uint32_t x = 1;
  for (auto& t : prompt) t = static_cast<int32_t>(3 + ((x = x * 1664525u + 1013904223u) >> 8) % 30000);
  std::vector<float> logits(static_cast<size_t>(m.value()->model->config().vocab_size));
  auto warm = TextSession::create(*m.value(), &pool, kPrompt + 16, 256).value();
  (void)warm->eval(prompt.data(), prompt.size(), logits.data());  // fills the cache when on
  for (auto _ : state) {
    state.PauseTiming();
    auto s = TextSession::create(*m.value(), &pool, kPrompt + 16, 256).value();
    state.ResumeTiming();
    if (!s->eval(prompt.data(), prompt.size(), logits.data()).is_ok()) state.SkipWithError("eval failed");
  }
  const auto& c = m.value()->model->config();
  state.counters["kv_bytes_per_token_layer"] =
      static_cast<double>(m.value()->kv_pool->block_bytes() / m.value()->kv_pool->block_size() / c.num_hidden_layers);
  state.counters["theoretical"] = static_cast<double>(2 * c.num_key_value_heads * c.head_dim * 4);
}

BENCHMARK_CAPTURE(ttft, cache_off, false)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(ttft, cache_hit, true)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace mistralrs
