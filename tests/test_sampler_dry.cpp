// DRY on token-level breakers: the Z-algorithm against a quadratic oracle, and each rule of
// the penalty (maximum not sum, overlaps, allowed length, breaker limits, single and
// multi-token breakers, the newest-token and candidate rules, windows, clamping).
// Default multiplier 0.8, base 1.75, allowed length 2 unless a test says otherwise:
// a repeat of n gives 0.8 * 1.75^(n - 2): n = 2 -> 0.8, n = 3 -> 1.4, n = 4 -> 2.45.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <vector>

#include "sampling/dry.h"
#include "sampling/rng.h"
#include "sampling/sampler_chain.h"

namespace mistralrs {
namespace {

using Tokens = std::vector<int32_t>;
using Deltas = std::vector<std::pair<int32_t, float>>;

DryParams dry(float multiplier = 0.8f, int32_t allowed = 2) {
  DryParams p;
  p.multiplier = multiplier;
  p.allowed_length = allowed;
  p.breakers.clear();
  return p;
}

DryBreakerTable table(const std::vector<Tokens>& breakers) {
  std::vector<DryBreaker> b;
  for (const Tokens& t : breakers) b.push_back({{}, t});
  auto t = DryBreakerTable::build(b, nullptr);
  EXPECT_TRUE(t) << t.status().to_string();
  return t ? std::move(t.value()) : DryBreakerTable{};
}

Deltas run(const Tokens& window, const std::vector<Tokens>& breakers = {}, const DryParams& p = dry()) {
  DryScratch s;
  std::vector<LogitDelta> out;
  dry_deltas(window, table(breakers), p, s, out);
  Deltas d;
  for (const LogitDelta& x : out) d.emplace_back(x.token, x.delta);
  return d;
}

void expect_deltas(const Deltas& got, const Deltas& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first) << "entry " << i;
    EXPECT_NEAR(got[i].second, want[i].second, 1e-5) << "token " << want[i].first;
  }
}

// The oracle: for each earlier end j, extend the match backwards one token at a time.
std::vector<int32_t> quadratic_lengths(const Tokens& w, size_t limit) {
  const size_t m = w.size();
  std::vector<int32_t> len(m > 0 ? m - 1 : 0, 0);
  for (size_t j = 0; j + 1 < m; ++j) {
    size_t n = 0;
    while (n < limit && n <= j && w[j - n] == w[m - 1 - n]) ++n;
    len[j] = static_cast<int32_t>(n);
  }
  return len;
}

TEST(DryZAlgorithm, MatchesTheQuadraticOracleOnRandomHistories) {
  Rng rng(2024);
  DryScratch s;
  for (int trial = 0; trial < 5000; ++trial) {
    const size_t m = 1 + rng.next_u64() % 300;
    const uint64_t alphabet = 1 + rng.next_u64() % 4;  // few symbols: long repeats
    Tokens w(m);
    for (int32_t& t : w) t = static_cast<int32_t>(rng.next_u64() % alphabet);
    const size_t limit = trial % 3 == 0 ? m : rng.next_u64() % (m + 1);
    dry_repeat_lengths(w, limit, s);
    const auto want = quadratic_lengths(w, limit);
    ASSERT_EQ(s.lengths, want) << "trial " << trial << ", m " << m << ", limit " << limit;
  }
}

TEST(DryZAlgorithm, ZArrayByHand) {
  // s = a a b a a b: z = 6, 1, 0, 3, 1, 0.
  std::vector<int32_t> z;
  z_array(Tokens{1, 1, 2, 1, 1, 2}, z);
  EXPECT_EQ(z, (std::vector<int32_t>{6, 1, 0, 3, 1, 0}));
}

TEST(DryPenalty, RepeatOfThreePenalisesItsContinuation) {
  // 1 2 3 4 1 2 3: the suffix 1 2 3 also ends at j = 2, followed by 4: n = 3 -> 1.4.
  expect_deltas(run({1, 2, 3, 4, 1, 2, 3}), {{4, -1.4f}});  // a delta: the logit goes down
}

TEST(DryPenalty, PerCandidateTheMaximumNotTheSum) {
  // 3 1 2 9 8 1 2 9 3 1 2: suffix 3 1 2. End j = 2 matches 3 1 2 (n = 3) -> 9;
  // end j = 6 matches 1 2 (n = 2, 8 != 3) -> 9 again. max(1.4, 0.8) = 1.4, not 2.2.
  expect_deltas(run({3, 1, 2, 9, 8, 1, 2, 9, 3, 1, 2}), {{9, -1.4f}});
}

TEST(DryPenalty, OverlappingRepeatsCount) {
  // 7 7 7 7: the suffix 7 7 7 ends at j = 2 too (overlapping itself): n = 3 -> 1.4 on 7.
  expect_deltas(run({7, 7, 7, 7}), {{7, -1.4f}});
}

TEST(DryPenalty, AllowedLength) {
  // 1 2 3 1 2: n = 2 -> 3. allowed 2: 0.8 * 1.75^0 = 0.8; allowed 3: too short.
  expect_deltas(run({1, 2, 3, 1, 2}), {{3, -0.8f}});
  expect_deltas(run({1, 2, 3, 1, 2}, {}, dry(0.8f, 3)), {});
  // allowed 1: every earlier 2 counts; 1 2 3 1 2 has one: n = 2 -> 0.8 * 1.75 = 1.4.
  expect_deltas(run({1, 2, 3, 1, 2}, {}, dry(0.8f, 1)), {{3, -1.4f}});
}

TEST(DryPenalty, NewestTokenIsABreaker) {
  // 1 2 9 1 2 9 repeats 1 2 9 (n = 3 -> 1 gets 1.4) unless 9 is a breaker.
  expect_deltas(run({1, 2, 9, 1, 2, 9}), {{1, -1.4f}});
  expect_deltas(run({1, 2, 9, 1, 2, 9}, {{9}}), {});
}

TEST(DryPenalty, MatchingStopsAtTheMostRecentBreaker) {
  // 1 2 3 4 1 2 3 with 1 a breaker: scanning back, 3, 2, then 1: only 2 tokens (2 3) are
  // after it, so n = min(3, 2) = 2 -> 0.8 instead of 1.4.
  expect_deltas(run({1, 2, 3, 4, 1, 2, 3}, {{1}}), {{4, -0.8f}});
}

TEST(DryPenalty, CandidatesThatAreBreakersAreNeverPenalised) {
  // 1 2 9 5 1 2: n = 2 -> 9, but 9 is a single-token breaker.
  expect_deltas(run({1, 2, 9, 5, 1, 2}), {{9, -0.8f}});
  expect_deltas(run({1, 2, 9, 5, 1, 2}, {{9}}), {});
  // A head is not a breaker on its own: it is penalised like any token.
  expect_deltas(run({1, 2, 9, 5, 1, 2}, {{9, 6}}), {{9, -0.8f}});
}

TEST(DryPenalty, MultiTokenBreaker) {
  // 5 6 1 2 8 5 6 1 2 repeats 5 6 1 2 (n = 4 -> 2.45 on 8). With the breaker [5, 6] the
  // most recent one ends at index 6: 2 tokens after it, n = 2 -> 0.8.
  expect_deltas(run({5, 6, 1, 2, 8, 5, 6, 1, 2}), {{8, -2.45f}});
  expect_deltas(run({5, 6, 1, 2, 8, 5, 6, 1, 2}, {{5, 6}}), {{8, -0.8f}});
  // A head without its tail is no breaker: 5 7 is not 5 6.
  expect_deltas(run({5, 7, 1, 2, 8, 5, 7, 1, 2}, {{5, 6}}), {{8, -2.45f}});
  // A tail still being generated does not count yet: 1 5 2 1 5 (n = 2 -> 2 gets 0.8).
  expect_deltas(run({1, 5, 2, 1, 5}, {{5, 6}}), {{2, -0.8f}});
  // ... and when it completes, the newest token ends a breaker: no penalty.
  expect_deltas(run({1, 5, 6, 2, 1, 5, 6}, {{5, 6}}), {});
}

TEST(DryPenalty, AmbiguousTailsTheLongestMatchingOneLimits) {
  // 1 5 6 7 1 5 6 7 1, allowed 1. Head 5 at index 5 is followed by 6 and by 6 7.
  //  breaker [5 6] only: it ends at index 6, limit 2 (7 1), the suffix 7 1 also ends at
  //    j = 4 -> n = 2: 5 gets 0.8 * 1.75 = 1.4.
  //  with [5 6 7] too: the longer tail ends at index 7, limit 1 (1): n = 1 -> 0.8 on 5.
  expect_deltas(run({1, 5, 6, 7, 1, 5, 6, 7, 1}, {{5, 6}}, dry(0.8f, 1)), {{5, -1.4f}});
  expect_deltas(run({1, 5, 6, 7, 1, 5, 6, 7, 1}, {{5, 6}, {5, 6, 7}}, dry(0.8f, 1)), {{5, -0.8f}});
}

TEST(DryPenalty, ExponentIsClampedToStayFinite) {
  DryParams p = dry(0.8f, 2);
  // base^e < FLT_MAX: with base 1.75, e_max = floor(ln(FLT_MAX) / ln 1.75) = floor(158.57) = 158.
  const float far = dry_penalty(p, 100000);
  EXPECT_TRUE(std::isfinite(far));
  EXPECT_EQ(far, dry_penalty(p, 2 + 158));
  EXPECT_EQ(far, dry_penalty(p, 200000));
  EXPECT_NEAR(far / (0.8f * std::pow(1.75, 158.0)), 1.0, 1e-6);
  EXPECT_LT(dry_penalty(p, 2 + 157), far);  // below the clamp the penalty still grows
  p.multiplier = 5.0f;  // multiplier * base^e <= FLT_MAX: e_max = floor(ln(FLT_MAX / 5) / ln 1.75) = 155
  EXPECT_TRUE(std::isfinite(dry_penalty(p, 100000)));
  EXPECT_LE(dry_penalty(p, 100000), FLT_MAX);
  p.base = 1.0f;  // base 1: always the multiplier
  EXPECT_EQ(dry_penalty(p, 100000), 5.0f);
  // End to end: 500 equal tokens, the logit stays a finite number.
  SamplerParams sp;
  sp.dry = dry();
  auto chain = SamplerChain::create(sp, nullptr, 1000);
  ASSERT_TRUE(chain);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(chain.value()->accept(3).is_ok());
  std::vector<float> row(4, 1.0f);
  ASSERT_TRUE(chain.value()->apply(row.data(), row.size()).is_ok());
  EXPECT_TRUE(std::isfinite(row[3]));
  EXPECT_LT(row[3], -1e37f);
}

std::vector<float> chain_apply(int32_t last_n, int32_t context_length, const Tokens& history) {
  SamplerParams p;
  p.dry = dry();
  p.dry.penalty_last_n = last_n;
  auto c = SamplerChain::create(p, nullptr, context_length);
  EXPECT_TRUE(c) << c.status().to_string();
  for (int32_t t : history) EXPECT_TRUE(c.value()->accept(t).is_ok());
  std::vector<float> row(6, 0.0f);
  EXPECT_TRUE(c.value()->apply(row.data(), row.size()).is_ok());
  return row;
}

TEST(DryPenalty, WindowSemantics) {
  const Tokens h = {1, 2, 3, 4, 1, 2, 3};
  EXPECT_NEAR(chain_apply(7, 0, h)[4], -1.4f, 1e-6);  // the whole repeat: n = 3
  EXPECT_NEAR(chain_apply(6, 0, h)[4], -0.8f, 1e-6);  // 2 3 4 1 2 3: the earlier 2 3 -> n = 2
  EXPECT_EQ(chain_apply(5, 0, h)[4], 0.0f);           // 3 4 1 2 3: n = 1 < 2
  EXPECT_NEAR(chain_apply(-1, 7, h)[4], -1.4f, 1e-6);  // -1 = the context length, 7
  EXPECT_EQ(chain_apply(-1, 5, h)[4], 0.0f);           // context 5
  EXPECT_EQ(chain_apply(0, 0, h)[4], 0.0f);            // 0 = off
}

TEST(DryPenalty, InvalidParameters) {
  EXPECT_FALSE(check_dry(0.8f, 1.75f, 2, -2).is_ok());    // a window below -1
  EXPECT_FALSE(check_dry(0.8f, 0.5f, 2, -1).is_ok());     // base < 1 with a multiplier
  EXPECT_TRUE(check_dry(0.0f, 0.5f, 2, -1).is_ok());      // ... fine when off
  EXPECT_FALSE(check_dry(0.8f, 1.75f, 0, -1).is_ok());    // allowed_length < 1
  EXPECT_FALSE(check_dry(NAN, 1.75f, 2, -1).is_ok());
  EXPECT_FALSE(check_dry(-0.5f, 1.75f, 2, -1).is_ok());
  EXPECT_NE(check_dry(0.8f, 1.75f, 0, -1).message().find("allowed_length"), std::string::npos);
  DryParams d;  // the proposal's defaults
  EXPECT_EQ(d.multiplier, 0.0f);
  EXPECT_EQ(d.base, 1.75f);
  EXPECT_EQ(d.allowed_length, 2);
  EXPECT_EQ(d.penalty_last_n, -1);
  ASSERT_EQ(d.breakers.size(), 4u);
  EXPECT_EQ(d.breakers[0].text, "\n");
  EXPECT_EQ(d.breakers[1].text, ":");
  EXPECT_EQ(d.breakers[2].text, "\"");
  EXPECT_EQ(d.breakers[3].text, "*");
  EXPECT_FALSE(d.enabled());
}

TEST(DryPenalty, TextBreakersNeedATokenizer) {
  SamplerParams p;
  p.dry.multiplier = 0.8f;  // with the four default text breakers
  auto c = SamplerChain::create(p, nullptr, 100);
  ASSERT_FALSE(c);
  EXPECT_NE(c.status().message().find("need a tokenizer"), std::string::npos);
  p.dry.breakers = {DryBreaker{{}, {9}}};
  EXPECT_TRUE(SamplerChain::create(p, nullptr, 100));
}

}  // namespace
}  // namespace mistralrs
