// The Pipeline interface over the text pipeline: kind, metadata (the cache strategy the
// engine allocates from) and a generation run stepped one unit at a time.
#include <gtest/gtest.h>

#include "common/paths.h"
#include "pipeline/text_generation.h"

namespace mistralrs {
namespace {

TEST(Pipeline, TextModelReportsKindAndStrategy) {
  auto tm = TextModel::load(testing::fixture_path("text/mistral_swa/gguf_f32.gguf"));
  ASSERT_TRUE(tm) << tm.status().to_string();
  const Pipeline& p = *tm.value();
  EXPECT_EQ(p.kind(), PipelineKind::kText);
  EXPECT_STREQ(pipeline_kind_name(p.kind()), "text");
  const ModelConfigMetadata m = p.metadata();
  const auto* kv = std::get_if<KvCache>(&m.cache_strategy);
  ASSERT_NE(kv, nullptr) << cache_strategy_name(m.cache_strategy);
  ASSERT_EQ(kv->layers.size(), 2u);
  EXPECT_EQ(kv->layers[0].n_kv_heads, 2);
  EXPECT_EQ(kv->layers[0].head_dim, 16);
  EXPECT_EQ(kv->layers[0].sliding_window, 16);
  EXPECT_EQ(m.sliding_window, 16);

  CacheOptions co;
  co.prefix_cache = true;
  auto cached = TextModel::load(testing::fixture_path("text/llama_gqa/gguf_f32.gguf"), co);
  ASSERT_TRUE(cached);
  const ModelConfigMetadata mc = cached.value()->metadata();
  const auto* pc = std::get_if<PrefixCache>(&mc.cache_strategy);
  ASSERT_NE(pc, nullptr) << cache_strategy_name(mc.cache_strategy);
  EXPECT_EQ(pc->block_size, 16);
  EXPECT_EQ(pc->kv.layers[1].sliding_window, 0);
}

// NoCache has no KV description: asking for one is an error, not a dummy.
TEST(Pipeline, NoCacheHasNoKvShapes) {
  const CacheStrategy none = NoCache{};
  auto spec = kv_cache_spec(none);
  EXPECT_FALSE(spec);
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_STREQ(cache_strategy_name(none), "none");
}

// Stepping a run by hand: the first step is the prefill, then one token per step; the
// tokens equal the reference's greedy continuation.
TEST(Pipeline, TextRunStepsOneTokenAtATime) {
  auto tm = TextModel::load(testing::fixture_path("text/llama_gqa/gguf_f32.gguf"));
  ASSERT_TRUE(tm);
  auto s = TextSession::create(*tm.value(), nullptr, 64, 16);
  ASSERT_TRUE(s);
  GenerateParams p;
  p.max_tokens = 3;
  p.ignore_eos = true;
  std::vector<int32_t> got;
  const std::vector<int32_t> prompt = {1, 54, 254, 51, 187};
  auto run = TextGeneration::start(*s.value(), prompt, p, [&](int32_t t, std::string_view) {
    if (t >= 0) got.push_back(t);
    return true;
  }, nullptr);
  ASSERT_TRUE(run) << run.status().to_string();
  auto done = run.value()->step(nullptr);  // prefill
  ASSERT_TRUE(done);
  EXPECT_FALSE(done.value());
  EXPECT_EQ(s.value()->n_past(), 5);
  EXPECT_TRUE(got.empty());
  for (int i = 1; i <= 3; ++i) {
    done = run.value()->step(nullptr);
    ASSERT_TRUE(done);
    EXPECT_EQ(got.size(), static_cast<size_t>(i));
    EXPECT_EQ(done.value(), i == 3);
  }
  EXPECT_EQ(run.value()->finish_reason(), FinishReason::kMaxTokens);
  EXPECT_EQ(s.value()->n_past(), 8);  // the prompt and the three tokens
  // The same prompt through generate() (run_to_completion) gives the same tokens.
  s.value()->reset();
  std::vector<int32_t> again;
  auto r = s.value()->generate(prompt, p, [&](int32_t t, std::string_view) {
    if (t >= 0) again.push_back(t);
    return true;
  }, nullptr, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(again, got);
}

}  // namespace
}  // namespace mistralrs
