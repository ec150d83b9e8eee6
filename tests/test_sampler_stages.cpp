// The sampler stages one by one, on hand-derived cases: the derivation of every expected
// number is written beside it. Logits are often ln(p), so that softmax gives p back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sampling/rng.h"
#include "sampling/stages.h"

namespace mistralrs {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

Candidates full(const std::vector<float>& logits) {
  Candidates c;
  EXPECT_TRUE(c.assign_full(logits.data(), logits.size()).is_ok());
  return c;
}

Candidates from_probs(const std::vector<float>& p) {
  std::vector<float> l;
  for (float q : p) l.push_back(std::log(q));
  return full(l);
}

// The surviving ids, ascending.
std::vector<int32_t> kept(const Candidates& c) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < c.size(); ++i) ids.push_back(c.id(i));
  std::sort(ids.begin(), ids.end());
  return ids;
}

float logit_of(const Candidates& c, int32_t id) {
  for (size_t i = 0; i < c.size(); ++i)
    if (c.id(i) == id) return c.logit(i);
  ADD_FAILURE() << "token " << id << " is not a candidate";
  return NAN;
}

using Ids = std::vector<int32_t>;

TEST(SamplerStages, TopK) {
  auto c = full({1, 3, 2, 5, 4});
  top_k(c, 2, 1);
  EXPECT_EQ(kept(c), (Ids{3, 4}));  // the two largest logits: 5 (id 3) and 4 (id 4)
  EXPECT_EQ(c[0].id, 3);            // in descending order
  auto d = full({1, 3, 2, 5, 4});
  top_k(d, 2, 3);
  EXPECT_EQ(kept(d), (Ids{1, 3, 4}));  // min_keep 3 wins over k = 2: 5, 4, 3
  auto ties = full({1, 2, 2, 0});
  top_k(ties, 1, 1);
  EXPECT_EQ(kept(ties), (Ids{1}));  // equal logits: the lower id first
  for (int32_t off : {0, -1, 10}) {  // off, or k >= n: nothing to do, not even a sort
    auto e = full({1, 3, 2});
    top_k(e, off, 1);
    EXPECT_EQ(e.size(), 3u);
    EXPECT_TRUE(e.dense());
  }
}

TEST(SamplerStages, TopP) {
  // p = 0.5, 0.2, 0.2, 0.1; cumulative in descending order (ties by id): .5, .7, .9, 1.
  auto run = [](float p) {
    auto c = from_probs({0.5f, 0.2f, 0.2f, 0.1f});
    StageScratch s;
    top_p(c, p, 1, s);
    return kept(c);
  };
  EXPECT_EQ(run(0.45f), (Ids{0}));           // .5 >= .45
  EXPECT_EQ(run(0.6f), (Ids{0, 1}));         // .7 >= .6; of the two 0.2s the lower id
  EXPECT_EQ(run(0.85f), (Ids{0, 1, 2}));     // .9 >= .85
  EXPECT_EQ(run(0.95f), (Ids{0, 1, 2, 3}));  // only 1.0 reaches .95
  EXPECT_EQ(run(1.0f), (Ids{0, 1, 2, 3}));   // off
  auto c = from_probs({0.5f, 0.2f, 0.2f, 0.1f});
  StageScratch s;
  top_p(c, 0.45f, 3, s);
  EXPECT_EQ(kept(c), (Ids{0, 1, 2}));  // min_keep 3
}

TEST(SamplerStages, TopPBeyondTheFirstPartialSort) {
  // 1000 equal logits: each p = 0.001, so the mass reaches 0.5005 at the 501st token,
  // past the first 64-entry partial sort (the histogram path: one bucket, sorted by id).
  auto c = full(std::vector<float>(1000, 0.0f));
  StageScratch s;
  top_p(c, 0.5005f, 1, s);
  ASSERT_EQ(c.size(), 501u);
  EXPECT_EQ(kept(c).back(), 500);  // ties by id: ids 0..500
}

// The fast paths (top-k selecting from the dense row with block skipping, top-p selecting
// by mass with nth_element) against the plain reference: sort everything, then cut.
TEST(SamplerStages, TopKAndTopPMatchAFullSortOnRandomRows) {
  Rng rng(5);
  for (size_t n : {1u, 7u, 16u, 17u, 100u, 1000u, 5000u, 40000u}) {
    std::vector<float> row(n);
    for (float& x : row) {  // quarter steps: many ties; a few banned and DRY-sized outliers
      const uint64_t r = rng.next_u64();
      const float outliers[] = {kNegInf, -1e9f, -3e38f};
      x = r % 50 < 3 ? outliers[r % 50] : static_cast<float>(static_cast<int>(r % 64) - 32) * 0.25f;
    }
    std::vector<TokenLogit> ref;
    for (size_t i = 0; i < n; ++i) ref.push_back({static_cast<int32_t>(i), row[i]});
    std::sort(ref.begin(), ref.end(), logit_before);
    auto ref_ids = [&](size_t k) {
      Ids ids;
      for (size_t i = 0; i < std::min(k, n); ++i) ids.push_back(ref[i].id);
      std::sort(ids.begin(), ids.end());
      return ids;
    };
    for (int32_t k : {1, 3, 40, 200}) {
      auto c = full(row);
      top_k(c, k, 1);
      ASSERT_EQ(kept(c), ref_ids(static_cast<size_t>(k))) << "n " << n << " k " << k;
    }
    const float mx = ref[0].logit;
    double total = 0.0;
    for (const TokenLogit& t : ref) total += static_cast<double>(std::exp(t.logit - mx));
    for (float p : {0.1f, 0.5f, 0.9f, 0.999f}) {
      size_t want = n;
      double acc = 0.0;
      for (size_t i = 0; i < n; ++i) {
        acc += static_cast<double>(std::exp(ref[i].logit - mx));
        if (acc >= p * total) {
          want = i + 1;
          break;
        }
      }
      auto c = full(row);
      StageScratch s;
      top_p(c, p, 1, s);
      ASSERT_EQ(kept(c), ref_ids(want)) << "n " << n << " p " << p;
    }
  }
}

TEST(SamplerStages, MinP) {
  // p = 0.5, 0.2, 0.2, 0.1: min_p 0.3 keeps p >= 0.15, min_p 0.5 keeps p >= 0.25.
  auto c = from_probs({0.5f, 0.2f, 0.2f, 0.1f});
  min_p(c, 0.3f, 1);
  EXPECT_EQ(kept(c), (Ids{0, 1, 2}));
  auto d = from_probs({0.5f, 0.2f, 0.2f, 0.1f});
  min_p(d, 0.5f, 1);
  EXPECT_EQ(kept(d), (Ids{0}));
  auto e = from_probs({0.5f, 0.2f, 0.2f, 0.1f});
  min_p(e, 0.5f, 2);
  EXPECT_EQ(kept(e), (Ids{0, 1}));  // min_keep 2: the best two, ties by id
  auto f = from_probs({0.5f, 0.2f, 0.2f, 0.1f});
  min_p(f, 0.0f, 1);
  EXPECT_TRUE(f.dense());  // off
}

TEST(SamplerStages, Typical) {
  // p = 1/2, 1/4, 1/8, 1/8: surprises -ln p = ln2 * (1, 2, 3, 3), entropy
  // H = ln2 * (1/2 + 2/4 + 3/8 + 3/8) = 1.75 ln2. Distances |surprise - H| = ln2 * (0.75,
  // 0.25, 1.25, 1.25): the order is id 1, id 0, id 2, id 3; cumulative .25, .75, .875, 1.
  auto run = [](float p) {
    auto c = from_probs({0.5f, 0.25f, 0.125f, 0.125f});
    StageScratch s;
    typical(c, p, 1, s);
    return kept(c);
  };
  EXPECT_EQ(run(0.2f), (Ids{1}));  // .25 >= .2: the most likely token is not typical
  EXPECT_EQ(run(0.5f), (Ids{0, 1}));
  EXPECT_EQ(run(0.8f), (Ids{0, 1, 2}));
  EXPECT_EQ(run(1.0f), (Ids{0, 1, 2, 3}));  // off
  auto c = from_probs({0.5f, 0.25f, 0.125f, 0.125f});
  StageScratch s;
  typical(c, 0.8f, 1, s);
  EXPECT_EQ(c[0].id, 0);  // the survivors keep their previous (id) order
  EXPECT_EQ(c[2].id, 2);
}

TEST(SamplerStages, TopNSigma) {
  // Logits 4, 2, 0, -2: mean 1, population variance (9 + 1 + 1 + 9) / 4 = 5, sigma = 2.2361.
  // Threshold 4 - n sigma: n = 1 -> 1.764, n = 0.5 -> 2.882, n = 2 -> -0.472.
  auto run = [](float n) {
    auto c = full({4, 2, 0, -2, kNegInf});  // -inf is left out of mean and sigma
    top_n_sigma(c, n, 1);
    return kept(c);
  };
  EXPECT_EQ(run(1.0f), (Ids{0, 1}));
  EXPECT_EQ(run(0.5f), (Ids{0}));
  EXPECT_EQ(run(2.0f), (Ids{0, 1, 2}));
  EXPECT_EQ(run(0.0f), (Ids{0, 1, 2, 3, 4}));  // off
}

TEST(SamplerStages, XtcRemovesAllTopChoicesButTheLeastLikely) {
  StageScratch s;
  // p = .4, .3, .2, .1. Threshold .25: ids 0 and 1 are top choices; all but the least
  // likely of them (id 1) go. Threshold .15: ids 0, 1, 2; ids 0 and 1 go.
  Rng rng(42);
  auto c = from_probs({0.4f, 0.3f, 0.2f, 0.1f});
  xtc(c, 1.0f, 0.25f, 1, rng, s);
  EXPECT_EQ(kept(c), (Ids{1, 2, 3}));
  auto d = from_probs({0.4f, 0.3f, 0.2f, 0.1f});
  xtc(d, 1.0f, 0.15f, 1, rng, s);
  EXPECT_EQ(kept(d), (Ids{2, 3}));
  auto e = from_probs({0.4f, 0.3f, 0.2f, 0.1f});
  xtc(e, 1.0f, 0.35f, 1, rng, s);
  EXPECT_EQ(kept(e), (Ids{0, 1, 2, 3}));  // only one token reaches .35: nothing to exclude
  auto f = from_probs({0.4f, 0.3f, 0.2f, 0.1f});
  xtc(f, 1.0f, 0.15f, 3, rng, s);
  EXPECT_EQ(kept(f), (Ids{0, 1, 2, 3}));  // removing two would leave 2 < min_keep 3
}

TEST(SamplerStages, XtcDrawsItsProbabilityFromTheSeededStream) {
  // Rng(42)'s first outputs are 0x15780b2e..., 0x6104d986..., 0xae175332... (pinned in
  // test_rng.cpp); next_float takes the top 24 bits: 0x15780b / 2^24 = 0.0839,
  // 0x6104d9 / 2^24 = 0.3790, 0xae1753 / 2^24 = 0.6800. With probability 0.3 the first
  // call excludes (0.0839 < 0.3), the next two do not.
  Rng rng(42);
  StageScratch s;
  const Ids expected[] = {{1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}};
  for (const Ids& want : expected) {
    auto c = from_probs({0.4f, 0.3f, 0.2f, 0.1f});
    xtc(c, 0.3f, 0.25f, 1, rng, s);
    EXPECT_EQ(kept(c), want);
  }
  // Off (threshold > 0.5): no draw, the stream does not move.
  Rng a(42), b(42);
  auto c = from_probs({0.4f, 0.3f, 0.2f, 0.1f});
  xtc(c, 1.0f, 0.6f, 1, a, s);
  EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(SamplerStages, Temperature) {
  auto c = full({1, -2, 0.5f});
  temperature(c, 0.5f);  // logit / 0.5: 2, -4, 1
  EXPECT_FLOAT_EQ(logit_of(c, 0), 2.0f);
  EXPECT_FLOAT_EQ(logit_of(c, 1), -4.0f);
  EXPECT_FLOAT_EQ(logit_of(c, 2), 1.0f);
  auto d = full({1, -2, 0.5f});
  temperature(d, 2.0f);  // 0.5, -1, 0.25
  EXPECT_FLOAT_EQ(logit_of(d, 1), -1.0f);
  auto z = full({1, 3, 3, 0.5f});
  temperature(z, 0.0f);  // only the most likely, lowest id among ties
  EXPECT_EQ(kept(z), (Ids{1}));
}

TEST(SamplerStages, DynamicTemperature) {
  StageScratch s;
  // A flat distribution has normalised entropy 1: T = t + range = 1.5, and 3 / 1.5 = 2.
  auto flat = full({3, 3, 3, 3});
  dynamic_temperature(flat, 1.0f, 0.5f, 1.0f, s);
  EXPECT_FLOAT_EQ(logit_of(flat, 2), 2.0f);
  // p = .8, .2: H = -(.8 ln .8 + .2 ln .2) = 0.178515 + 0.321888 = 0.500402 nats,
  // normalised by ln 2: 0.721928. lo = 0.5, hi = 1.5:
  //   exponent 1: T = 0.5 + 1.0 * 0.721928 = 1.221928
  //   exponent 2: T = 0.5 + 1.0 * 0.721928^2 = 1.021180
  for (auto [exponent, t] : {std::pair{1.0f, 1.221928f}, std::pair{2.0f, 1.021180f}}) {
    auto c = from_probs({0.8f, 0.2f});
    dynamic_temperature(c, 1.0f, 0.5f, exponent, s);
    EXPECT_NEAR(logit_of(c, 0), std::log(0.8f) / t, 1e-5);
    EXPECT_NEAR(logit_of(c, 1), std::log(0.2f) / t, 1e-5);
  }
  auto off = full({1, 2});
  dynamic_temperature(off, 2.0f, 0.0f, 1.0f, s);  // range 0: plain T = 2
  EXPECT_FLOAT_EQ(logit_of(off, 1), 1.0f);
}

TEST(SamplerStages, Penalties) {
  StageScratch s;
  // History 0,0,1,3,3,3 (counts 2, 1, 0, 3), repeat 2, frequency 0.5, presence 0.25:
  //   id 0:  2 / 2 = 1    - 2 * 0.5 - 0.25 = -0.25
  //   id 1: -1 * 2 = -2   - 1 * 0.5 - 0.25 = -2.75
  //   id 2: unseen: 0.5
  //   id 3:  3 / 2 = 1.5  - 3 * 0.5 - 0.25 = -0.25
  const std::vector<int32_t> history = {0, 0, 1, 3, 3, 3};
  auto c = full({2, -1, 0.5f, 3});
  penalties(c, history, 2.0f, 0.5f, 0.25f, s);
  EXPECT_FLOAT_EQ(logit_of(c, 0), -0.25f);
  EXPECT_FLOAT_EQ(logit_of(c, 1), -2.75f);
  EXPECT_FLOAT_EQ(logit_of(c, 2), 0.5f);
  EXPECT_FLOAT_EQ(logit_of(c, 3), -0.25f);
  // The last 2 tokens only (3, 3): id 3: 1.5 - 2 * 0.5 - 0.25 = 0.25; the rest unchanged.
  auto d = full({2, -1, 0.5f, 3});
  penalties(d, std::span(history).last(2), 2.0f, 0.5f, 0.25f, s);
  EXPECT_FLOAT_EQ(logit_of(d, 0), 2.0f);
  EXPECT_FLOAT_EQ(logit_of(d, 3), 0.25f);
  // On a truncated list (top-2: ids 3 and 0) the same numbers for the survivors.
  auto e = full({2, -1, 0.5f, 3});
  top_k(e, 2, 1);
  penalties(e, history, 2.0f, 0.5f, 0.25f, s);
  EXPECT_FLOAT_EQ(logit_of(e, 0), -0.25f);
  EXPECT_FLOAT_EQ(logit_of(e, 3), -0.25f);
}

TEST(SamplerStages, LogitBiasAddsUpAndBans) {
  auto c = full({0, 0, 0});
  const LogitDelta bias[] = {{1, 2.0f}, {2, kNegInf}, {1, 0.5f}};
  c.add_deltas(bias);  // id 1: 0 + 2 + 0.5 = 2.5; id 2: -inf (banned)
  EXPECT_FLOAT_EQ(logit_of(c, 1), 2.5f);
  EXPECT_EQ(logit_of(c, 2), kNegInf);
  auto d = full({0, 1, 2});
  top_k(d, 2, 1);  // a list (ids 2, 1): the lookup path
  d.add_deltas(bias);
  EXPECT_FLOAT_EQ(logit_of(d, 1), 3.5f);
  EXPECT_EQ(logit_of(d, 2), kNegInf);
}

TEST(SamplerStages, GreedyAndSeededDraw) {
  EXPECT_EQ(argmax_index(full({0.5f, 2, 2, -1})), 1u);  // ties: the lower id
  // p = .05, .05, .9 in id order: cumulative .05, .10, 1. Rng(42) gives 0.0839, 0.3790,
  // 0.6800 (see XtcDrawsItsProbabilityFromTheSeededStream): ids 1, 2, 2.
  Rng rng(42);
  StageScratch s;
  auto c = from_probs({0.05f, 0.05f, 0.9f});
  EXPECT_EQ(draw_index(c, rng, s), 1u);
  EXPECT_EQ(draw_index(c, rng, s), 2u);
  EXPECT_EQ(draw_index(c, rng, s), 2u);
}

TEST(SamplerStages, CandidatesRejectNanAndPlusInf) {
  Candidates c;
  const float nan_row[] = {0, NAN};
  const float inf_row[] = {std::numeric_limits<float>::infinity(), 0};
  const float ban_row[] = {kNegInf, 0};
  EXPECT_NE(c.assign_full(nan_row, 2).message().find("logits[1] is NaN"), std::string::npos);
  EXPECT_NE(c.assign_full(inf_row, 2).message().find("logits[0] is +inf"), std::string::npos);
  EXPECT_TRUE(c.assign_full(ban_row, 2).is_ok());
}

}  // namespace
}  // namespace mistralrs
