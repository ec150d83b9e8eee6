// The KV budget and prefix cache through the C API: options, the cache strategy, stats,
// MISTRALRS_ERR_OUT_OF_MEMORY from a session that does not fit, NULL handling.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/capi_runtime.h"
#include "common/paths.h"
#include "mistralrs.h"

namespace {

class CapiPrefixCache : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mistralrs::testing::create_runtime(2, &rt_), MISTRALRS_OK) << mistralrs_last_error();
  }
  void TearDown() override { mistralrs_runtime_free(rt_); }

  mistralrs_model* load(int32_t prefix, int64_t budget) {
    mistralrs_model_options* o = nullptr;
    EXPECT_EQ(mistralrs_model_options_create(&o), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_model_options_set_prefix_cache(o, prefix), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_model_options_set_kv_budget(o, budget), MISTRALRS_OK);
    const std::string path = mistralrs::testing::fixture_path("text/llama_gqa/gguf_f32.gguf");
    mistralrs_model* m = nullptr;
    EXPECT_EQ(mistralrs_model_load(rt_, path.c_str(), o, &m), MISTRALRS_OK) << mistralrs_last_error();
    mistralrs_model_options_free(o);
    return m;
  }
  static mistralrs_session* session(mistralrs_model* m, int32_t* status = nullptr) {
    mistralrs_session_options* o = nullptr;
    EXPECT_EQ(mistralrs_session_options_create(&o), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_session_options_set_context_length(o, 128), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_session_options_set_prefill_chunk(o, 16), MISTRALRS_OK);
    mistralrs_session* s = nullptr;
    const int32_t rc = mistralrs_session_create(m, o, &s);
    if (status) *status = rc;
    else EXPECT_EQ(rc, MISTRALRS_OK) << mistralrs_last_error();
    mistralrs_session_options_free(o);
    return s;
  }
  mistralrs_runtime* rt_ = nullptr;
};

TEST_F(CapiPrefixCache, StrategyFollowsOptions) {
  mistralrs_model* plain = load(0, 0);
  mistralrs_model* cached = load(1, 0);
  EXPECT_EQ(mistralrs_model_cache_strategy(plain), MISTRALRS_CACHE_KV);
  EXPECT_EQ(mistralrs_model_cache_strategy(cached), MISTRALRS_CACHE_PREFIX);
  EXPECT_LT(mistralrs_model_cache_strategy(nullptr), 0);
  int64_t used = -1, budget = -1;
  EXPECT_EQ(mistralrs_model_kv_usage(plain, &used, &budget), MISTRALRS_OK);
  EXPECT_EQ(used, 0);
  EXPECT_EQ(budget, INT64_MAX);
  mistralrs_model_free(plain);
  mistralrs_model_free(cached);
}

TEST_F(CapiPrefixCache, OptionErrors) {
  mistralrs_model_options* o = nullptr;
  ASSERT_EQ(mistralrs_model_options_create(&o), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_model_options_set_kv_budget(o, -1), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_options_set_kv_budget(nullptr, 1), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_options_set_prefix_cache(nullptr, 1), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_prefix_cache_stats(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr),
            MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_kv_usage(nullptr, nullptr, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_model_options_free(o);
}

// Two requests with a common 40-token prefix: the second reuses two blocks, with the same
// logits as a model without the cache.
TEST_F(CapiPrefixCache, SecondRequestReusesBlocks) {
  mistralrs_model* plain = load(0, 0);
  mistralrs_model* cached = load(1, 0);
  std::vector<int32_t> p(45);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<int32_t>((i * 37 + 5) % 320);
  std::vector<float> a(320), b(320);
  for (int r = 0; r < 2; ++r) {
    mistralrs_session* s = session(cached);
    ASSERT_EQ(mistralrs_session_eval(s, p.data(), p.size(), a.data()), MISTRALRS_OK);
    mistralrs_session_free(s);
  }
  mistralrs_session* s = session(plain);
  ASSERT_EQ(mistralrs_session_eval(s, p.data(), p.size(), b.data()), MISTRALRS_OK);
  mistralrs_session_free(s);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  int64_t lookups = 0, hits = 0, reused = 0, evictions = -1, blocks = 0;
  ASSERT_EQ(mistralrs_prefix_cache_stats(cached, &lookups, &hits, &reused, &evictions, &blocks), MISTRALRS_OK);
  EXPECT_EQ(lookups, 2);
  EXPECT_EQ(hits, 2);
  EXPECT_EQ(reused, 32);
  EXPECT_EQ(evictions, 0);
  EXPECT_EQ(blocks, 2);
  ASSERT_EQ(mistralrs_prefix_cache_stats(plain, &lookups, nullptr, nullptr, nullptr, nullptr), MISTRALRS_OK);
  EXPECT_EQ(lookups, 0);
  mistralrs_model_free(plain);
  mistralrs_model_free(cached);
}

// A budget for one session: the second gets MISTRALRS_ERR_OUT_OF_MEMORY with a message;
// the first keeps working; after it is freed the budget is whole again.
TEST_F(CapiPrefixCache, SessionBeyondBudgetIsOutOfMemory) {
  mistralrs_model* probe = load(0, 0);
  mistralrs_session* s0 = session(probe);
  int64_t one_session = 0;
  ASSERT_EQ(mistralrs_model_kv_usage(probe, &one_session, nullptr), MISTRALRS_OK);
  mistralrs_session_free(s0);
  mistralrs_model_free(probe);
  ASSERT_GT(one_session, 0);

  mistralrs_model* m = load(0, one_session + one_session / 2);
  mistralrs_session* a = session(m);
  int32_t rc = 0;
  mistralrs_session* b = session(m, &rc);
  EXPECT_EQ(rc, MISTRALRS_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(b, nullptr);
  EXPECT_NE(std::string(mistralrs_last_error()).find("budget"), std::string::npos) << mistralrs_last_error();
  const int32_t t[3] = {1, 2, 3};
  EXPECT_EQ(mistralrs_session_eval(a, t, 3, nullptr), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_session_n_past(a), 3);
  mistralrs_session_free(a);
  int64_t used = -1;
  ASSERT_EQ(mistralrs_model_kv_usage(m, &used, nullptr), MISTRALRS_OK);
  EXPECT_EQ(used, 0);
  b = session(m);
  EXPECT_NE(b, nullptr);
  mistralrs_session_free(b);
  mistralrs_model_free(m);
}

}  // namespace
