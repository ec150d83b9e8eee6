// The Llama / Mistral forward pass against transformers: tiny random-weight models written
// by tools/gen_text_fixtures.py as HF directories and GGUF files, with the reference's
// logits at every prompt position and 32 greedy tokens (tests/fixtures/text/README.md).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/paths.h"
#include "pipeline/text_session.h"

namespace mistralrs {
namespace {

struct Expected_ {
  std::vector<int32_t> prompt, greedy;
  std::vector<double> margin;
  std::vector<float> logits;  // [n_prompt, vocab]
  int64_t vocab = 0;
};

Expected_ read_expected(const std::string& json_path) {
  Expected_ e;
  std::ifstream f(json_path);
  const nlohmann::json j = nlohmann::json::parse(f);
  e.prompt = j["prompt"].get<std::vector<int32_t>>();
  e.greedy = j["greedy"].get<std::vector<int32_t>>();
  e.margin = j["greedy_top2_margin"].get<std::vector<double>>();
  e.vocab = j["logits_shape"][1].get<int64_t>();
  const std::string dir = json_path.substr(0, json_path.rfind('/') + 1);
  std::ifstream lf(dir + j["logits_file"].get<std::string>(), std::ios::binary);
  e.logits.resize(static_cast<size_t>(j["logits_shape"][0].get<int64_t>() * e.vocab));
  lf.read(reinterpret_cast<char*>(e.logits.data()), static_cast<std::streamsize>(e.logits.size() * 4));
  EXPECT_TRUE(lf.good()) << "cannot read logits for " << json_path;
  return e;
}

struct Case {
  std::string model;    // folder under tests/fixtures/text
  std::string variant;  // hf_f32, hf_bf16, gguf_f32, gguf_f16, gguf_q8_0, gguf_q4_0
  double tolerance;     // max |logit - reference|
  bool exact = true;    // OpContext::exact_block_weights (matters for q8_0 / q4_0 only)
};

// Tolerances:
// - f32, bf16 and f16 weights, and q8_0 / q4_0 in exact mode: the reference ran the same
//   (dequantized) weights in f32, so only summation order differs: 1e-4 (testing.md's
//   whole-model bound).
// - q8_0 / q4_0 in the default fast mode: our matmul also rounds each 32-element
//   activation block to 8 bits (error <= max|x| / 254 per element) before every projection.
//   These random-weight models amplify that: an independent float64 emulation of the same
//   rounding on the reference's forward pass (numpy, run once by hand from
//   tools/gen_text_fixtures.py's numpy_forward_gguf with every matmul input rounded) moves
//   the logits by 0.27 to 0.46 on the six files. The bound 0.6 is that emulation's worst
//   case plus 30%; a wrong kernel would be off by whole units.
std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* m : {"llama_gqa", "mistral_swa", "llama_tied_llama3"}) {
    for (const char* v : {"hf_f32", "hf_bf16", "gguf_f32", "gguf_f16", "gguf_q8_0", "gguf_q4_0"})
      out.push_back({m, v, 1e-4, true});
    out.push_back({m, "gguf_q8_0", 0.6, false});
    out.push_back({m, "gguf_q4_0", 0.6, false});
  }
  return out;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.variant << (c.exact ? "" : " (fast)"); }

std::string model_path(const Case& c) {
  const std::string base = testing::fixture_path("text/" + c.model + "/");
  return c.variant.rfind("hf_", 0) == 0 ? base + c.variant : base + c.variant + ".gguf";
}

std::string expected_path(const Case& c) {
  const std::string base = testing::fixture_path("text/" + c.model + "/");
  return c.variant.rfind("hf_", 0) == 0 ? base + c.variant + "/expected.json"
                                        : base + c.variant + ".expected.json";
}

class LlamaFidelity : public ::testing::TestWithParam<Case> {};

// Logits at every prompt position, in one pass, against the reference.
TEST_P(LlamaFidelity, LogitsAtEveryPosition) {
  const Case& c = GetParam();
  const Expected_ e = read_expected(expected_path(c));
  auto tm = TextModel::load(model_path(c));
  ASSERT_TRUE(tm) << tm.status().to_string();
  const LlamaModel& m = *tm.value()->model;
  ASSERT_EQ(m.config().vocab_size, e.vocab);
  ThreadPool pool(2);
  OpContext ctx{&pool, nullptr};
  ctx.exact_block_weights = c.exact;
  const int64_t n = static_cast<int64_t>(e.prompt.size());
  const ModelConfigMetadata meta = m.metadata();
  auto spec = kv_cache_spec(meta.cache_strategy);
  ASSERT_TRUE(spec);
  auto kv = KvStore::create(*spec.value(), n);
  auto ws = LlamaWorkspace::create(m.config(), n);
  ASSERT_TRUE(kv && ws);
  std::vector<float> logits(static_cast<size_t>(n * e.vocab));
  Status st = m.forward(ctx, e.prompt.data(), n, 0, kv.value(), ws.value(), logits.data(), true, nullptr);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  double worst = 0.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double d = std::fabs(static_cast<double>(logits[i]) - e.logits[i]);
    if (d > worst || std::isnan(d)) worst = std::isnan(d) ? INFINITY : d, worst_i = i;
  }
  EXPECT_LE(worst, c.tolerance) << c.model << "/" << c.variant << ": worst at position "
                                << worst_i / e.vocab << " token " << worst_i % e.vocab << ": expected "
                                << e.logits[worst_i] << ", got " << logits[worst_i] << ", tolerance "
                                << c.tolerance;
  std::printf("[ measured ] %s/%s%s max |logit error| = %.3g (tolerance %.3g)\n", c.model.c_str(),
              c.variant.c_str(), c.exact ? "" : " (fast)", worst, c.tolerance);
}

// 32 greedy tokens through the session (chunked prefill of 16, then decode with the KV
// cache) equal the reference's wherever its top-2 margin is clear of twice the tolerance;
// after the first step where it is not, the continuations may legitimately part.
TEST_P(LlamaFidelity, GreedyContinuation) {
  const Case& c = GetParam();
  const Expected_ e = read_expected(expected_path(c));
  auto tm = TextModel::load(model_path(c));
  ASSERT_TRUE(tm) << tm.status().to_string();
  ThreadPool pool(2);
  auto s = TextSession::create(*tm.value(), &pool, 128, 16, c.exact);
  ASSERT_TRUE(s) << s.status().to_string();
  GenerateParams p;
  p.max_tokens = 32;
  p.ignore_eos = true;
  std::vector<int32_t> got;
  auto r = s.value()->generate(e.prompt, p, [&](int32_t t, std::string_view) {
    if (t >= 0) got.push_back(t);
    return true;
  }, nullptr, nullptr);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r.value(), FinishReason::kMaxTokens);
  ASSERT_EQ(got.size(), 32u);
  size_t checked = 0;
  for (size_t i = 0; i < 32; ++i) {
    if (e.margin[i] <= 2 * c.tolerance) break;
    ASSERT_EQ(got[i], e.greedy[i]) << c.model << "/" << c.variant << " step " << i;
    ++checked;
  }
  std::printf("[ measured ] %s/%s%s greedy: %zu of 32 steps checked and equal\n", c.model.c_str(),
              c.variant.c_str(), c.exact ? "" : " (fast)", checked);
  if (c.tolerance <= 1e-4) EXPECT_EQ(checked, 32u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LlamaFidelity, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return i.param.model + "_" + i.param.variant + (i.param.exact ? "" : "_fast");
                         });

}  // namespace
}  // namespace mistralrs
