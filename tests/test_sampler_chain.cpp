// The sampler chain as a whole: mirostat's state updates (derived by hand), the order of
// the stages, disabled stages doing nothing, validation messages, windows, apply versus
// sample, and seeded reproducibility.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "sampling/sampler_chain.h"

namespace mistralrs {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> log_probs(const std::vector<float>& p) {
  std::vector<float> l;
  for (float q : p) l.push_back(std::log(q));
  return l;
}

std::unique_ptr<SamplerChain> make(const SamplerParams& p, int32_t context_length = 0) {
  auto c = SamplerChain::create(p, nullptr, context_length);
  EXPECT_TRUE(c) << c.status().to_string();
  return c ? std::move(c.value()) : nullptr;
}

std::string create_error(const SamplerParams& p, int32_t context_length = 0) {
  auto c = SamplerChain::create(p, nullptr, context_length);
  return c ? std::string("(created)") : c.status().message();
}

TEST(SamplerMirostat, V2FirstStepsByHand) {
  // p = 1/2, 1/4, 1/4: surprises -log2 p = 1, 2, 2.
  SamplerParams p;
  p.mirostat = 2;
  p.mirostat_eta = 0.1f;
  p.mirostat_tau = 0.5f;  // mu = 2 tau = 1: only id 0 (surprise 1 <= 1) survives
  auto a = make(p);
  EXPECT_FLOAT_EQ(a->mirostat_mu(), 1.0f);
  const auto logits = log_probs({0.5f, 0.25f, 0.25f});
  EXPECT_EQ(a->sample(logits.data(), 3).value(), 0);
  // Renormalised p(0) = 1, surprise 0: mu = 1 - 0.1 * (0 - 0.5) = 1.05.
  EXPECT_FLOAT_EQ(a->mirostat_mu(), 1.05f);

  p.mirostat_tau = 1.5f;  // mu = 3: all three survive
  p.seed = 42;            // draws r = 0.0839, 0.3790, 0.6800 (see test_sampler_stages.cpp)
  auto b = make(p);
  // r = 0.0839 < .5: id 0, surprise 1: mu = 3 - 0.1 * (1 - 1.5) = 3.05
  EXPECT_EQ(b->sample(logits.data(), 3).value(), 0);
  EXPECT_FLOAT_EQ(b->mirostat_mu(), 3.05f);
  // r = 0.3790 < .5: id 0 again: mu = 3.05 + 0.05 = 3.1
  EXPECT_EQ(b->sample(logits.data(), 3).value(), 0);
  EXPECT_FLOAT_EQ(b->mirostat_mu(), 3.1f);
  // r = 0.6800 in [.5, .75): id 1, surprise 2: mu = 3.1 - 0.1 * (2 - 1.5) = 3.05
  EXPECT_EQ(b->sample(logits.data(), 3).value(), 1);
  EXPECT_NEAR(b->mirostat_mu(), 3.05f, 1e-6);
  b->reset();
  EXPECT_FLOAT_EQ(b->mirostat_mu(), 3.0f);
}

TEST(SamplerMirostat, V1FirstStepByHand) {
  // p = .8, .2, N = 2. With one pair, s = b_0 / t_0 = ln(.8/.2) / ln 2 = 2, eps = 1.
  //   tau 1.5: mu = 3, k = (1 * 2^3 / (1 - 2^-1))^(1/2) = 16^(1/2) = 4 -> clamped to 2.
  //   r = 0.0839 picks id 0 (p .8): surprise -log2 .8 = 0.321928,
  //   mu = 3 - 0.1 * (0.321928 - 1.5) = 3.1178072.
  SamplerParams p;
  p.mirostat = 1;
  p.mirostat_tau = 1.5f;
  p.mirostat_eta = 0.1f;
  p.seed = 42;
  const auto logits = log_probs({0.8f, 0.2f});
  auto a = make(p);
  EXPECT_EQ(a->sample(logits.data(), 2).value(), 0);
  EXPECT_NEAR(a->mirostat_mu(), 3.1178072f, 1e-6);
  // tau 0: mu = 0, k = (2 / 1)^(1/2) = 1.414 -> 1: id 0 alone, p 1, surprise 0, mu stays 0.
  p.mirostat_tau = 0.0f;
  auto b = make(p);
  EXPECT_EQ(b->sample(logits.data(), 2).value(), 0);
  EXPECT_FLOAT_EQ(b->mirostat_mu(), 0.0f);
}

TEST(SamplerMirostat, V1KFromAZipfDistribution) {
  // p_i ~ 1 / (i+1)^2 over 10 tokens: b_i = 2 ln((i+2)/(i+1)) = 2 t_i, so s = 2, eps = 1;
  // N = 10: factor = 1 / (1 - 10^-1) = 1.1111.
  //   tau 2, mu 4: k = (1.1111 * 16)^(1/2) = 4.216 -> 4
  //   tau 3, mu 6: k = (1.1111 * 64)^(1/2) = 8.433 -> 8
  std::vector<float> logits;
  for (int i = 0; i < 10; ++i) logits.push_back(-2.0f * std::log(static_cast<float>(i + 1)));
  for (auto [tau, k] : {std::pair{2.0f, 4u}, std::pair{3.0f, 8u}}) {
    Mirostat m(1, tau, 0.1f);
    Candidates c;
    ASSERT_TRUE(c.assign_full(logits.data(), logits.size()).is_ok());
    c.sort_prefix(100);
    EXPECT_EQ(m.v1_k(c, 10), k) << "tau " << tau;
  }
}

TEST(SamplerMirostat, SkipsTheTruncationStages) {
  SamplerParams p;
  p.mirostat = 2;
  p.mirostat_tau = 10.0f;  // mu 20: mirostat itself keeps everything
  p.top_k = 1;             // would force id 2 without mirostat
  const float logits[] = {1.0f, 1.0f, 1.5f};
  auto c = make(p);
  std::vector<float> row(logits, logits + 3);
  ASSERT_TRUE(c->apply(row.data(), 3).is_ok());
  EXPECT_EQ(row[0], 1.0f);  // top-k skipped: nothing truncated
}

TEST(SamplerChain, FreshParamsChangeNothing) {
  auto c = make(SamplerParams{});
  std::vector<float> row = {0.25f, -3.0f, 7.5f, kNegInf, 0.0f};
  const std::vector<float> before = row;
  for (int32_t t : {1, 2, 2}) ASSERT_TRUE(c->accept(t).is_ok());
  ASSERT_TRUE(c->apply(row.data(), row.size()).is_ok());
  EXPECT_EQ(row, before);
  Candidates cand;
  ASSERT_TRUE(cand.assign_full(before.data(), before.size()).is_ok());
  ASSERT_TRUE(c->run_stages(cand, before.size()).is_ok());
  EXPECT_TRUE(cand.dense());  // no stage sorted, listed or truncated anything
  EXPECT_EQ(c->history_size(), 0u);  // no stage reads the history: none is kept
}

TEST(SamplerChain, ApplyWritesTruncatedTokensAsMinusInf) {
  SamplerParams p;
  p.top_k = 2;
  p.temperature = 0.5f;
  auto c = make(p);
  std::vector<float> row = {1, 3, 2, 0};
  ASSERT_TRUE(c->apply(row.data(), row.size()).is_ok());
  // top-2 keeps ids 1, 2 (logits 3, 2); temperature 0.5 doubles them.
  EXPECT_EQ(row, (std::vector<float>{kNegInf, 6, 4, kNegInf}));
}

TEST(SamplerChain, OrderIsConfigurableAndLeftOutStagesDoNotRun) {
  // Bias +10 on id 0 then top-1 keeps id 0; top-1 first keeps id 1 (the bias comes late).
  SamplerParams p;
  p.top_k = 1;
  p.logit_bias = {{0, 10.0f}};
  p.greedy = true;
  const float row[] = {0.0f, 1.0f};
  EXPECT_EQ(make(p)->sample(row, 2).value(), 0);
  p.order = {SamplerStage::kTopK, SamplerStage::kLogitBias};
  EXPECT_EQ(make(p)->sample(row, 2).value(), 1);
  p.order = {SamplerStage::kTemperature};  // neither bias nor top-k runs
  std::vector<float> r2(row, row + 2);
  ASSERT_TRUE(make(p)->apply(r2.data(), 2).is_ok());
  EXPECT_EQ(r2, (std::vector<float>{0.0f, 1.0f}));
}

TEST(SamplerChain, RunsOnACallersCandidateList) {
  // Ids 7, 3, 9 (not contiguous) with logits 1, 3, 2; bias +5 on 7 -> 6; top-2 keeps 7, 3.
  SamplerParams p;
  p.top_k = 2;
  p.logit_bias = {{7, 5.0f}};
  auto c = make(p);
  Candidates cand;
  const TokenLogit list[] = {{7, 1.0f}, {3, 3.0f}, {9, 2.0f}};
  cand.assign_list(list);
  ASSERT_TRUE(c->run_stages(cand, 10).is_ok());
  ASSERT_EQ(cand.size(), 2u);
  EXPECT_EQ(cand[0].id, 7);
  EXPECT_EQ(cand[0].logit, 6.0f);
  EXPECT_EQ(cand[1].id, 3);
}

TEST(SamplerChain, SeededDrawIsReproducible) {
  // p = .05, .05, .9; seed 42 draws 0.0839, 0.3790, 0.6800: ids 1, 2, 2.
  SamplerParams p;
  p.seed = 42;
  auto c = make(p);
  const auto row = log_probs({0.05f, 0.05f, 0.9f});
  EXPECT_EQ(c->sample(row.data(), 3).value(), 1);
  EXPECT_EQ(c->sample(row.data(), 3).value(), 2);
  EXPECT_EQ(c->sample(row.data(), 3).value(), 2);
  c->reset();
  EXPECT_EQ(c->sample(row.data(), 3).value(), 1);
  // Two chains with one seed agree token for token on a long run; XTC's draws come from
  // their own stream, so XTC at probability 0 vs. an XTC that never fires changes nothing.
  SamplerParams q;
  q.seed = 7;
  q.top_p = 0.9f;
  auto a = make(q);
  q.xtc_probability = 1.0f;
  q.xtc_threshold = 0.5f;  // p >= .5 twice is impossible here: XTC draws but never cuts
  auto b = make(q);
  Rng logits_rng(1);
  std::vector<float> l(64);
  for (int step = 0; step < 200; ++step) {
    for (float& x : l) x = 4.0f * logits_rng.next_float();
    ASSERT_EQ(a->sample(l.data(), l.size()).value(), b->sample(l.data(), l.size()).value()) << "step " << step;
  }
}

TEST(SamplerChain, GreedyAndTemperatureZero) {
  const float row[] = {0.5f, 2.0f, 2.0f, -1.0f};
  SamplerParams p;
  p.greedy = true;
  EXPECT_EQ(make(p)->sample(row, 4).value(), 1);
  SamplerParams q;
  q.temperature = 0.0f;
  EXPECT_EQ(make(q)->sample(row, 4).value(), 1);
}

TEST(SamplerChain, PenaltyWindowResolvesMinusOneToTheContext) {
  SamplerParams p;
  p.presence_penalty = 1.0f;
  p.penalty_last_n = -1;
  EXPECT_NE(create_error(p, 0).find("penalty_last_n is -1"), std::string::npos);
  auto c = make(p, 2);  // the last 2 tokens
  for (int32_t t : {0, 1, 2}) ASSERT_TRUE(c->accept(t).is_ok());
  std::vector<float> row = {0, 0, 0};
  ASSERT_TRUE(c->apply(row.data(), 3).is_ok());
  EXPECT_EQ(row, (std::vector<float>{0, -1, -1}));  // token 0 fell out of the window
}

TEST(SamplerChain, InvalidParametersNameTheProblem) {
  auto err = [](auto mutate) {
    SamplerParams p;
    mutate(p);
    return create_error(p);
  };
  EXPECT_NE(err([](SamplerParams& p) { p.temperature = NAN; }).find("temperature"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.top_k = -2; }).find("top_k"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.top_p = 1.5f; }).find("top_p"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.min_p = NAN; }).find("min_p"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.top_n_sigma = -2; }).find("top_n_sigma"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.penalty_last_n = -2; }).find("penalty_last_n"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.repeat_penalty = 0; }).find("repeat penalty"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.mirostat = 3; }).find("mirostat"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.min_keep = 0; }).find("min_keep"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.logit_bias = {{0, NAN}}; }).find("logit bias"), std::string::npos);
  EXPECT_NE(err([](SamplerParams& p) { p.order = {SamplerStage::kTopK, SamplerStage::kTopK}; }).find("twice"),
            std::string::npos);
  EXPECT_EQ(err([](SamplerParams& p) { p.top_k = -1; }), "(created)");  // -1 is "off"
  EXPECT_EQ(err([](SamplerParams& p) { p.top_n_sigma = -1; }), "(created)");
}

TEST(SamplerChain, SamplingNothingIsAnError) {
  SamplerParams p;
  p.logit_bias = {{0, kNegInf}, {1, kNegInf}};
  auto c = make(p);
  const float row[] = {1.0f, 2.0f};
  auto t = c->sample(row, 2);
  ASSERT_FALSE(t);
  EXPECT_NE(t.status().message().find("-inf"), std::string::npos);
  EXPECT_FALSE(c->sample(row, 0));
  const float nan_row[] = {NAN, 1.0f};
  EXPECT_FALSE(make(SamplerParams{})->sample(nan_row, 2));
  SamplerParams q;
  q.logit_bias = {{5, 1.0f}};  // outside a 2-entry row
  EXPECT_FALSE(make(q)->sample(row, 2));
}

}  // namespace
}  // namespace mistralrs
