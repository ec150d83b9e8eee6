// mistralrs bench: prefill and decode speed of a model file, beside the machine's memory
// bandwidth. Decode reads every weight once per token, so tokens/s x weight bytes is the
// bandwidth the decode step achieves; its ratio to the triad figure is how close it runs
// to the memory limit.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "cli.h"
#include "core/bandwidth.h"
#include "pipeline/text_session.h"

namespace mistralrs_cli {

using namespace mistralrs;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int run_bench(const BenchOptions& o) {
  auto tm = TextModel::load(o.model);
  if (!tm) {
    std::fprintf(stderr, "mistralrs: %s\n", tm.status().to_string().c_str());
    return 1;
  }
  const LlamaModel& m = *tm.value()->model;
  ThreadPool pool(o.threads);
  auto sess = TextSession::create(*tm.value(), &pool, o.n_prompt + o.n_gen, o.n_prompt);
  if (!sess) {
    std::fprintf(stderr, "mistralrs: %s\n", sess.status().to_string().c_str());
    return 1;
  }
  TextSession& s = *sess.value();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(m.config().vocab_size) - 1);
  std::vector<int32_t> prompt(static_cast<size_t>(o.n_prompt));
  for (int32_t& t : prompt) t = pick(rng);
  std::vector<float> logits(static_cast<size_t>(m.config().vocab_size));
  std::vector<double> prefill, decode;
  for (int r = 0; r < o.repetitions + 1; ++r) {  // the first pass warms up and is dropped
    s.reset();
    double t0 = now_seconds();
    Status st = s.eval(prompt.data(), prompt.size(), logits.data());
    const double tp = now_seconds() - t0;
    t0 = now_seconds();
    for (int i = 0; st.is_ok() && i < o.n_gen; ++i) {
      const int32_t tok = pick(rng);
      st = s.eval(&tok, 1, logits.data());
    }
    const double td = now_seconds() - t0;
    if (!st.is_ok()) {
      std::fprintf(stderr, "mistralrs: %s\n", st.to_string().c_str());
      return 1;
    }
    if (r == 0) continue;
    prefill.push_back(o.n_prompt / tp);
    decode.push_back(o.n_gen / td);
  }
  const double bw = measure_triad_bandwidth_gbs(&pool);
  const double bytes = static_cast<double>(m.weight_bytes());
  const double pp = median(prefill), tg = median(decode);
  std::printf("model: %s\n", o.model.c_str());
  std::printf("threads: %d | weights read per token: %.1f MB\n", o.threads, bytes / 1e6);
  std::printf("prefill: %d tokens, %.1f tokens/s (median of %d)\n", o.n_prompt, pp, o.repetitions);
  std::printf("decode: %d tokens, %.1f tokens/s (median of %d)\n", o.n_gen, tg, o.repetitions);
  std::printf("memory bandwidth (STREAM triad): %.1f GB/s | decode streams %.1f GB/s = %.0f%% of it\n", bw,
              tg * bytes / 1e9, 100.0 * tg * bytes / 1e9 / bw);
  return 0;
}

}  // namespace mistralrs_cli
