// mistralrs bench: prefill and decode speed of a model file, beside the machine's memory
// bandwidth. Decode reads every weight once per token, so tokens/s x weight bytes is the
// bandwidth the decode step achieves; its ratio to the measured bandwidth is how close it
// runs to the memory limit. CPU: STREAM triad on the thread pool. CUDA: device-to-device
// copy (bytes read + written per second, as bench/cuda_ceilings.h counts it); decode then
// samples greedily on the device, so a step returns one token id, as generation does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "cli.h"
#include "core/bandwidth.h"
#include "pipeline/device_option.h"
#include "pipeline/text_session.h"

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

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

int fail(const Status& st) {
  std::fprintf(stderr, "mistralrs: %s\n", st.to_string().c_str());
  return 1;
}

// GB/s the decode step is measured against, and its name; <= 0 when unmeasurable.
double limit_bandwidth_gbs(const Device& d, ThreadPool* pool, const char** name) {
  if (d.is_cpu()) {
    *name = "memory bandwidth (STREAM triad)";
    return measure_triad_bandwidth_gbs(pool);
  }
  *name = "device copy bandwidth (read + write, 1 GiB)";
#ifdef MISTRALRS_HAS_CUDA
  double gbs = 0.0;
  const int err = kernels::cuda_copy_bandwidth_gbs(d.index, size_t{1} << 30, 10, &gbs);
  if (err != 0) std::fprintf(stderr, "mistralrs: copy bandwidth: %s\n", kernels::cuda_error_string(err));
  return gbs;
#else
  return 0.0;
#endif
}

}  // namespace

int run_bench(const BenchOptions& o) {
  auto device = parse_device(o.device);
  if (!device) return fail(device.status());
  auto tm = TextModel::load(o.model, {}, device.value());
  if (!tm) return fail(tm.status());
  const LlamaModel& m = *tm.value()->model;
  ThreadPool pool(o.threads);
  auto sess = TextSession::create(*tm.value(), &pool, o.n_prompt + o.n_gen, o.n_prompt);
  if (!sess) return fail(sess.status());
  TextSession& s = *sess.value();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(m.config().vocab_size) - 1);
  std::vector<int32_t> prompt(static_cast<size_t>(o.n_prompt));
  for (int32_t& t : prompt) t = pick(rng);
  std::vector<float> logits(static_cast<size_t>(m.config().vocab_size));
  std::vector<double> prefill, decode;
  int32_t next = 0;
  for (int r = 0; r < o.repetitions + 1; ++r) {  // the first pass warms up and is dropped
    s.reset();
    double t0 = now_seconds();
    Status st = s.eval(prompt.data(), prompt.size(), logits.data());
    const double tp = now_seconds() - t0;
    t0 = now_seconds();
    for (int i = 0; st.is_ok() && i < o.n_gen; ++i) {
      const int32_t tok = pick(rng);
      st = s.on_device() ? s.eval_argmax(&tok, 1, &next) : s.eval(&tok, 1, logits.data());
    }
    const double td = now_seconds() - t0;
    if (!st.is_ok()) return fail(st);
    if (r == 0) continue;
    prefill.push_back(o.n_prompt / tp);
    decode.push_back(o.n_gen / td);
  }
  const char* bw_name = "";
  const double bw = limit_bandwidth_gbs(device.value(), &pool, &bw_name);
  const double bytes = static_cast<double>(m.weight_bytes());
  const double pp = median(prefill), tg = median(decode);
  std::printf("model: %s on %s\n", o.model.c_str(), device.value().to_string().c_str());
  if (device.value().is_cpu()) std::printf("threads: %d | ", o.threads);
  std::printf("weights read per token: %.1f MB\n", bytes / 1e6);
  std::printf("prefill: %d tokens, %.1f tokens/s (median of %d)\n", o.n_prompt, pp, o.repetitions);
  std::printf("decode: %d tokens after %d, %.1f tokens/s (median of %d)%s\n", o.n_gen, o.n_prompt, tg,
              o.repetitions, s.on_device() ? (s.cuda_graph_active() ? ", CUDA graph" : ", eager launches") : "");
  if (s.on_device() && !s.cuda_graph_note().empty()) std::printf("note: %s\n", s.cuda_graph_note().c_str());
  if (bw > 0.0) {
    // The limit: a token cannot take less than weight bytes / bandwidth.
    std::printf("%s: %.1f GB/s | decode streams %.1f GB/s = %.0f%% of it (limit %.1f tokens/s)\n", bw_name, bw,
                tg * bytes / 1e9, 100.0 * tg * bytes / 1e9 / bw, bw * 1e9 / bytes);
  }
  return 0;
}

}  // namespace mistralrs_cli
