// A sliding-window session keeps window + prefill-chunk KV rows, not its whole context, and
// still matches transformers' logits (mistral_swa, window 16, 40-token prompt) at every
// position, whether the prompt goes in at once (rows dropped between chunks) or token by
// token (rows dropped between decode steps).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/paths.h"
#include "pipeline/text_session.h"

namespace mistralrs {
namespace {

struct Reference {
  std::vector<int32_t> prompt;
  std::vector<float> logits;  // [n, vocab]
  int64_t vocab = 0;
};

Reference read_reference() {
  const std::string dir = testing::fixture_path("text/mistral_swa/");
  std::ifstream f(dir + "gguf_f32.expected.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  Reference r;
  r.prompt = j["prompt"].get<std::vector<int32_t>>();
  r.vocab = j["logits_shape"][1].get<int64_t>();
  r.logits.resize(r.prompt.size() * static_cast<size_t>(r.vocab));
  std::ifstream lf(dir + j["logits_file"].get<std::string>(), std::ios::binary);
  lf.read(reinterpret_cast<char*>(r.logits.data()), static_cast<std::streamsize>(r.logits.size() * 4));
  return r;
}

// testing.md's whole-model f32 bound.
void expect_close(const float* got, const float* want, int64_t n, size_t position) {
  double worst = 0;
  int64_t at = 0;
  for (int64_t i = 0; i < n; ++i)
    if (std::abs(got[i] - want[i]) > worst) worst = std::abs(got[i] - want[i]), at = i;
  EXPECT_LE(worst, 1e-4) << "position " << position << " index " << at << ": expected " << want[at] << ", got "
                         << got[at];
}

TEST(SlidingWindowSession, BoundedBufferMatchesReference) {
  const Reference r = read_reference();
  auto m = TextModel::load(testing::fixture_path("text/mistral_swa/gguf_f32.gguf"));
  ASSERT_TRUE(m) << m.status().to_string();
  ASSERT_EQ(m.value()->model->config().sliding_window, 16);
  ThreadPool pool(2);
  std::vector<float> logits(static_cast<size_t>(r.vocab));
  // Whole prompt, chunks of 4: buffer of 20 rows for 40 positions.
  auto a = TextSession::create(*m.value(), &pool, 256, 4);
  ASSERT_TRUE(a);
  EXPECT_LT(a.value()->kv_bytes(), 40 * m.value()->kv_pool->block_bytes() / 16);
  ASSERT_TRUE(a.value()->eval(r.prompt.data(), r.prompt.size(), logits.data()).is_ok());
  expect_close(logits.data(), r.logits.data() + (r.prompt.size() - 1) * static_cast<size_t>(r.vocab), r.vocab,
               r.prompt.size() - 1);
  // Token by token: every position.
  auto b = TextSession::create(*m.value(), &pool, 256, 4);
  ASSERT_TRUE(b);
  for (size_t i = 0; i < r.prompt.size(); ++i) {
    ASSERT_TRUE(b.value()->eval(&r.prompt[i], 1, logits.data()).is_ok());
    expect_close(logits.data(), r.logits.data() + i * static_cast<size_t>(r.vocab), r.vocab, i);
  }
  EXPECT_EQ(b.value()->n_past(), static_cast<int64_t>(r.prompt.size()));
}

// Prefix reuse in a bounded buffer: an 18-token prompt fits the 20 rows, so its first block
// is published and the second request copies it; both match the reference.
TEST(SlidingWindowSession, PrefixReuseInBoundedBuffer) {
  const Reference r = read_reference();
  CacheOptions o;
  o.prefix_cache = true;
  auto m = TextModel::load(testing::fixture_path("text/mistral_swa/gguf_f32.gguf"), o);
  ASSERT_TRUE(m) << m.status().to_string();
  ThreadPool pool(2);
  std::vector<float> logits(static_cast<size_t>(r.vocab));
  for (int request = 0; request < 2; ++request) {
    auto s = TextSession::create(*m.value(), &pool, 256, 4);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s.value()->eval(r.prompt.data(), 18, logits.data()).is_ok());
    expect_close(logits.data(), r.logits.data() + 17 * static_cast<size_t>(r.vocab), r.vocab, 17);
    // Then past the buffer, token by token: rows are dropped after reuse too.
    for (size_t i = 18; i < r.prompt.size(); ++i) {
      ASSERT_TRUE(s.value()->eval(&r.prompt[i], 1, logits.data()).is_ok());
      expect_close(logits.data(), r.logits.data() + i * static_cast<size_t>(r.vocab), r.vocab, i);
    }
  }
  EXPECT_EQ(m.value()->prefix_cache->stats().tokens_reused, 16);
}

}  // namespace
}  // namespace mistralrs
