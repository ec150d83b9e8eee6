// Encode throughput of the tokenizer.json engine in MB/s of input text, single-threaded, on
// the same text and tokenizer files as tools/bench_hf_tokenizers.py measures Hugging Face
// tokenizers with (compare the two in one report). The text is
// tests/fixtures/tokenizer/train_text.txt (English corpus plus lines in ten scripts, code and
// emoji) repeated in whole copies until it reaches 1,000,000 bytes. Two granularities: the whole
// text in one encode call, and one call per line (as a server sees prompts).
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/hf/hf_tokenizer.h"

namespace mistralrs {
namespace {

constexpr size_t kTargetBytes = 1000000;

std::string fixture(const std::string& rel) { return std::string(MISTRALRS_BENCH_SOURCE_DIR) + "/tests/fixtures/tokenizer/" + rel; }

const std::string& bench_text() {
  static const std::string text = [] {
    std::ifstream f(fixture("train_text.txt"), std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    const std::string once = ss.str();
    std::string all;
    while (!once.empty() && all.size() < kTargetBytes) all += once;
    return all;
  }();
  return text;
}

void encode_bench(benchmark::State& state, const char* name, bool per_line) {
  auto tok = load_hf_tokenizer_file(fixture(std::string(name) + "/tokenizer.json"));
  if (!tok || bench_text().empty()) {
    state.SkipWithError(tok ? "train_text.txt missing" : tok.status().to_string().c_str());
    return;
  }
  const std::string& text = bench_text();
  std::vector<std::string_view> lines;
  for (size_t b = 0; b < text.size();) {
    size_t e = text.find('\n', b);
    e = e == std::string::npos ? text.size() : e + 1;
    lines.push_back(std::string_view(text).substr(b, e - b));
    b = e;
  }
  size_t n_tokens = 0;
  for (auto _ : state) {
    n_tokens = 0;
    if (per_line) {
      for (std::string_view l : lines) n_tokens += tok.value()->encode(l, false, true).value().size();
    } else {
      n_tokens = tok.value()->encode(text, false, true).value().size();
    }
    benchmark::DoNotOptimize(n_tokens);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_HfEncodeWhole(benchmark::State& state, const char* name) { encode_bench(state, name, false); }
void BM_HfEncodeLines(benchmark::State& state, const char* name) { encode_bench(state, name, true); }

BENCHMARK_CAPTURE(BM_HfEncodeWhole, gpt2_bytelevel, "gpt2_bytelevel")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HfEncodeWhole, llama3_split, "llama3_split")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HfEncodeWhole, bytefallback_always, "bytefallback_always")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HfEncodeLines, gpt2_bytelevel, "gpt2_bytelevel")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HfEncodeLines, llama3_split, "llama3_split")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HfEncodeLines, bytefallback_always, "bytefallback_always")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mistralrs
