// The standalone sampler through the C API: every stage from C (the hand-derived cases of
// test_sampler_stages.cpp and test_sampler_dry.cpp, restated), setters rejecting bad
// values without changing the params, NULL handling, and DRY text breakers with a
// tokenizer from a loaded model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/paths.h"
#include "mistralrs.h"

namespace {

constexpr float kNegInf = -INFINITY;
using Row = std::vector<float>;

Row log_probs(const Row& p) {
  Row l;
  for (float q : p) l.push_back(std::log(q));
  return l;
}

// Builds params with `configure`, a sampler over them, accepts `history`, applies.
Row apply_with(const std::function<void(mistralrs_sampler_params*)>& configure, Row logits,
               const std::vector<int32_t>& history = {}, int32_t context_length = 0) {
  mistralrs_sampler_params* p = mistralrs_sampler_params_create();
  EXPECT_NE(p, nullptr);
  configure(p);
  mistralrs_sampler* s = nullptr;
  EXPECT_EQ(mistralrs_sampler_create(p, nullptr, context_length, &s), MISTRALRS_OK) << mistralrs_last_error();
  mistralrs_sampler_params_free(p);
  for (int32_t t : history) EXPECT_EQ(mistralrs_sampler_accept(s, t), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_sampler_apply(s, logits.data(), logits.size()), MISTRALRS_OK) << mistralrs_last_error();
  mistralrs_sampler_free(s);
  return logits;
}

// Which entries survived (are not -inf).
std::vector<int> live(const Row& r) {
  std::vector<int> ids;
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i] != kNegInf) ids.push_back(static_cast<int>(i));
  return ids;
}

using Ids = std::vector<int>;

TEST(SamplerCapi, FreshParamsChangeNothing) {
  const Row row = {0.25f, -3.0f, 7.5f, kNegInf};
  EXPECT_EQ(apply_with([](mistralrs_sampler_params*) {}, row, {1, 2, 2}), row);
}

TEST(SamplerCapi, TruncationStages) {
  auto set = [](auto fn) { return std::function<void(mistralrs_sampler_params*)>(fn); };
  // top-k 2: the logits 3 and 2.
  EXPECT_EQ(live(apply_with(set([](auto* p) { ASSERT_EQ(mistralrs_sampler_params_set_top_k(p, 2), 0); }), {1, 3, 2, 0})),
            (Ids{1, 2}));
  // p = .5 .2 .2 .1: top-p .6 reaches .7 with ids 0, 1; min-p .3 keeps p >= .15.
  const Row p4 = log_probs({0.5f, 0.2f, 0.2f, 0.1f});
  EXPECT_EQ(live(apply_with(set([](auto* p) { ASSERT_EQ(mistralrs_sampler_params_set_top_p(p, 0.6f), 0); }), p4)),
            (Ids{0, 1}));
  EXPECT_EQ(live(apply_with(set([](auto* p) { ASSERT_EQ(mistralrs_sampler_params_set_min_p(p, 0.3f), 0); }), p4)),
            (Ids{0, 1, 2}));
  // p = 1/2 1/4 1/8 1/8: H = 1.75 ln2, id 1 is the most typical (distance 0.25 ln2).
  const Row typ = log_probs({0.5f, 0.25f, 0.125f, 0.125f});
  EXPECT_EQ(live(apply_with(set([](auto* p) { ASSERT_EQ(mistralrs_sampler_params_set_typical_p(p, 0.2f), 0); }), typ)),
            (Ids{1}));
  // 4 2 0 -2: sigma = sqrt(5) = 2.236; n = 1 keeps logits >= 1.764.
  EXPECT_EQ(live(apply_with(set([](auto* p) { ASSERT_EQ(mistralrs_sampler_params_set_top_n_sigma(p, 1.0f), 0); }),
                            {4, 2, 0, -2})),
            (Ids{0, 1}));
  // XTC always (probability 1), threshold .25 on .4 .3 .2 .1: id 0 goes.
  EXPECT_EQ(live(apply_with(set([](auto* p) { ASSERT_EQ(mistralrs_sampler_params_set_xtc(p, 1.0f, 0.25f), 0); }),
                            log_probs({0.4f, 0.3f, 0.2f, 0.1f}))),
            (Ids{1, 2, 3}));
}

TEST(SamplerCapi, TemperaturePenaltiesBias) {
  // logit / 0.5
  EXPECT_EQ(apply_with([](auto* p) { mistralrs_sampler_params_set_temperature(p, 0.5f); }, {1, -2, 0.5f}),
            (Row{2, -4, 1}));
  // flat: T = 1 + 0.5, 3 / 1.5 = 2
  EXPECT_EQ(apply_with([](auto* p) { mistralrs_sampler_params_set_dynamic_temperature(p, 0.5f, 1.0f); }, {3, 3, 3}),
            (Row{2, 2, 2}));
  // counts 2, 1, 0, 3 with repeat 2, frequency .5, presence .25 (see test_sampler_stages.cpp)
  EXPECT_EQ(apply_with([](auto* p) { mistralrs_sampler_params_set_penalties(p, 64, 2.0f, 0.5f, 0.25f); },
                       {2, -1, 0.5f, 3}, {0, 0, 1, 3, 3, 3}),
            (Row{-0.25f, -2.75f, 0.5f, -0.25f}));
  EXPECT_EQ(apply_with(
                [](auto* p) {
                  mistralrs_sampler_params_add_logit_bias(p, 1, 2.0f);
                  mistralrs_sampler_params_add_logit_bias(p, 2, kNegInf);
                  mistralrs_sampler_params_add_logit_bias(p, 1, 0.5f);
                },
                {0, 0, 0}),
            (Row{0, 2.5f, kNegInf}));
}

TEST(SamplerCapi, DryWithTokenBreakers) {
  // 5 6 1 2 8 5 6 1 2: with the breaker [5, 6] the repeat seen is 1 2: 8 gets -0.8.
  auto configure = [](mistralrs_sampler_params* p) {
    ASSERT_EQ(mistralrs_sampler_params_set_dry(p, 0.8f, 1.75f, 2, -1), 0);
    ASSERT_EQ(mistralrs_sampler_params_clear_dry_breakers(p), 0);
    const int32_t breaker[] = {5, 6};
    ASSERT_EQ(mistralrs_sampler_params_add_dry_breaker_tokens(p, breaker, 2), 0);
  };
  const Row out = apply_with(configure, Row(10, 0.0f), {5, 6, 1, 2, 8, 5, 6, 1, 2}, 100);
  EXPECT_NEAR(out[8], -0.8f, 1e-6);
  for (size_t i = 0; i < out.size(); ++i)
    if (i != 8) EXPECT_EQ(out[i], 0.0f) << i;
}

TEST(SamplerCapi, DrawsAreSeededAndReproducible) {
  mistralrs_sampler_params* p = mistralrs_sampler_params_create();
  ASSERT_EQ(mistralrs_sampler_params_set_seed(p, 42), 0);
  mistralrs_sampler* s = nullptr;
  ASSERT_EQ(mistralrs_sampler_create(p, nullptr, 0, &s), 0);
  // p = .05 .05 .9; seed 42 draws 0.0839, 0.3790, 0.6800: ids 1, 2, 2.
  const Row row = log_probs({0.05f, 0.05f, 0.9f});
  int32_t tok = -1;
  for (int32_t want : {1, 2, 2}) {
    ASSERT_EQ(mistralrs_sampler_sample(s, row.data(), 3, &tok), 0);
    EXPECT_EQ(tok, want);
  }
  ASSERT_EQ(mistralrs_sampler_reset(s), 0);
  ASSERT_EQ(mistralrs_sampler_sample(s, row.data(), 3, &tok), 0);
  EXPECT_EQ(tok, 1);
  mistralrs_sampler_free(s);
  ASSERT_EQ(mistralrs_sampler_params_set_greedy(p, 1), 0);
  ASSERT_EQ(mistralrs_sampler_create(p, nullptr, 0, &s), 0);
  ASSERT_EQ(mistralrs_sampler_sample(s, row.data(), 3, &tok), 0);
  EXPECT_EQ(tok, 2);
  mistralrs_sampler_free(s);
  // Mirostat v2 with tau .5 (mu 1) keeps only surprise <= 1 bits: p = .5 .25 .25 -> id 0.
  ASSERT_EQ(mistralrs_sampler_params_set_greedy(p, 0), 0);
  ASSERT_EQ(mistralrs_sampler_params_set_mirostat(p, 2, 0.5f, 0.1f), 0);
  ASSERT_EQ(mistralrs_sampler_create(p, nullptr, 0, &s), 0);
  const Row m = log_probs({0.5f, 0.25f, 0.25f});
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(mistralrs_sampler_sample(s, m.data(), 3, &tok), 0);
    EXPECT_EQ(tok, 0);
  }
  mistralrs_sampler_free(s);
  mistralrs_sampler_params_free(p);
}

TEST(SamplerCapi, SettersRejectBadValuesAndKeepTheOldOnes) {
  mistralrs_sampler_params* p = mistralrs_sampler_params_create();
  auto rejects = [](int32_t status, const char* word) {
    EXPECT_EQ(status, MISTRALRS_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::strstr(mistralrs_last_error(), word), nullptr) << mistralrs_last_error();
  };
  rejects(mistralrs_sampler_params_set_top_k(p, -2), "top_k");
  rejects(mistralrs_sampler_params_set_temperature(p, NAN), "temperature");
  rejects(mistralrs_sampler_params_set_top_p(p, 1.5f), "top_p");
  rejects(mistralrs_sampler_params_set_min_p(p, -0.1f), "min_p");
  rejects(mistralrs_sampler_params_set_typical_p(p, NAN), "typical_p");
  rejects(mistralrs_sampler_params_set_top_n_sigma(p, -3.0f), "top_n_sigma");
  rejects(mistralrs_sampler_params_set_xtc(p, 2.0f, 0.1f), "xtc probability");
  rejects(mistralrs_sampler_params_set_min_keep(p, 0), "min_keep");
  rejects(mistralrs_sampler_params_set_mirostat(p, 3, 5.0f, 0.1f), "mirostat");
  rejects(mistralrs_sampler_params_set_penalties(p, -2, 1.1f, 0, 0), "penalty_last_n");
  rejects(mistralrs_sampler_params_set_dynamic_temperature(p, -1.0f, 1.0f), "range");
  rejects(mistralrs_sampler_params_add_logit_bias(p, -1, 1.0f), "token");
  rejects(mistralrs_sampler_params_add_logit_bias(p, 0, NAN), "bias");
  rejects(mistralrs_sampler_params_set_dry(p, 0.8f, 0.5f, 2, -1), "base");
  rejects(mistralrs_sampler_params_set_dry(p, 0.8f, 1.75f, 0, -1), "allowed_length");
  rejects(mistralrs_sampler_params_set_dry(p, 0.8f, 1.75f, 2, -2), "penalty_last_n");
  rejects(mistralrs_sampler_params_add_dry_breaker(p, ""), "empty");
  rejects(mistralrs_sampler_params_add_dry_breaker(p, std::string(41, 'x').c_str()), "40 bytes");
  const int32_t toks[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  rejects(mistralrs_sampler_params_add_dry_breaker_tokens(p, toks, 0), "at least one");
  rejects(mistralrs_sampler_params_add_dry_breaker_tokens(p, toks, 10), "tail tokens");
  const int32_t negative[] = {-4};
  rejects(mistralrs_sampler_params_add_dry_breaker_tokens(p, negative, 1), ">= 0");
  const int32_t dup[] = {MISTRALRS_SAMPLER_STAGE_TOP_K, MISTRALRS_SAMPLER_STAGE_TOP_K};
  rejects(mistralrs_sampler_params_set_order(p, dup, 2), "twice");
  const int32_t unknown[] = {42};
  rejects(mistralrs_sampler_params_set_order(p, unknown, 1), "unknown");
  // Nothing above changed the params: still every stage off (and DRY off, so the default
  // text breakers need no tokenizer).
  mistralrs_sampler* s = nullptr;
  ASSERT_EQ(mistralrs_sampler_create(p, nullptr, 0, &s), MISTRALRS_OK) << mistralrs_last_error();
  Row row = {1, 2, 3};
  ASSERT_EQ(mistralrs_sampler_apply(s, row.data(), 3), 0);
  EXPECT_EQ(row, (Row{1, 2, 3}));
  mistralrs_sampler_free(s);
  mistralrs_sampler_params_free(p);
}

TEST(SamplerCapi, NullHandlesAndBadCalls) {
  mistralrs_sampler_params_free(nullptr);
  mistralrs_sampler_free(nullptr);
  EXPECT_EQ(mistralrs_sampler_params_set_top_k(nullptr, 1), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(mistralrs_last_error(), "params is NULL"), nullptr);
  mistralrs_sampler* s = nullptr;
  EXPECT_EQ(mistralrs_sampler_create(nullptr, nullptr, 0, &s), MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_sampler_params* p = mistralrs_sampler_params_create();
  EXPECT_EQ(mistralrs_sampler_create(p, nullptr, 0, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_sampler_create(p, nullptr, -5, &s), MISTRALRS_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(mistralrs_sampler_create(p, nullptr, 0, &s), 0);
  int32_t tok = 0;
  float row[2] = {0, NAN};
  EXPECT_EQ(mistralrs_sampler_reset(nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_sampler_accept(nullptr, 1), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_sampler_accept(s, -1), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_sampler_apply(s, nullptr, 2), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_sampler_sample(s, row, 2, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_sampler_sample(s, row, 2, &tok), MISTRALRS_ERR_INVALID_ARGUMENT);  // NaN logit
  EXPECT_NE(std::strstr(mistralrs_last_error(), "NaN"), nullptr);
  EXPECT_EQ(mistralrs_sampler_sample(s, row, 0, &tok), MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_sampler_free(s);
  mistralrs_sampler_params_free(p);
}

TEST(SamplerCapi, DryTextBreakersUseTheModelsTokenizer) {
  // The llama_gqa fixture's vocabulary is "<tok_N>" pieces; "<tok_5>" is token 5 alone.
  mistralrs_runtime* rt = nullptr;
  ASSERT_EQ(mistralrs_runtime_create(nullptr, &rt), 0);
  mistralrs_model* model = nullptr;
  const std::string path = mistralrs::testing::fixture_path("text/llama_gqa/gguf_f32.gguf");
  ASSERT_EQ(mistralrs_model_load(rt, path.c_str(), nullptr, &model), 0) << mistralrs_last_error();
  const mistralrs_tokenizer* tok = mistralrs_model_tokenizer(model);
  ASSERT_NE(tok, nullptr);
  mistralrs_sampler_params* p = mistralrs_sampler_params_create();
  ASSERT_EQ(mistralrs_sampler_params_set_dry(p, 0.8f, 1.75f, 2, -1), 0);
  mistralrs_sampler* s = nullptr;
  // The default breakers are text: without a tokenizer that is an error that says so.
  EXPECT_EQ(mistralrs_sampler_create(p, nullptr, 64, &s), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(mistralrs_last_error(), "tokenizer"), nullptr);
  ASSERT_EQ(mistralrs_sampler_params_clear_dry_breakers(p), 0);
  ASSERT_EQ(mistralrs_sampler_params_add_dry_breaker(p, "<tok_5>"), 0);
  ASSERT_EQ(mistralrs_sampler_create(p, tok, 64, &s), 0) << mistralrs_last_error();
  // 10 11 5 12 10 11: n = 2 -> 5, a breaker: not penalised; 10 11 12 13 10 11 -> 12: -0.8.
  for (int32_t t : {10, 11, 5, 12, 10, 11}) ASSERT_EQ(mistralrs_sampler_accept(s, t), 0);
  Row row(320, 0.0f);
  ASSERT_EQ(mistralrs_sampler_apply(s, row.data(), row.size()), 0);
  EXPECT_EQ(row[5], 0.0f);
  ASSERT_EQ(mistralrs_sampler_reset(s), 0);
  for (int32_t t : {10, 11, 12, 13, 10, 11}) ASSERT_EQ(mistralrs_sampler_accept(s, t), 0);
  ASSERT_EQ(mistralrs_sampler_apply(s, row.data(), row.size()), 0);
  EXPECT_NEAR(row[12], -0.8f, 1e-6);
  EXPECT_EQ(mistralrs_sampler_accept(s, 320), MISTRALRS_ERR_INVALID_ARGUMENT);  // outside the vocabulary
  mistralrs_sampler_free(s);
  mistralrs_sampler_params_free(p);
  mistralrs_model_free(model);
  mistralrs_runtime_free(rt);
}

}  // namespace
