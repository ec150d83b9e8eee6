// The host-testable math of the split-KV decode kernel (kernels/attention_decode_math.cuh),
// run here on the CPU: key ranges against a brute-force visibility predicate, split ranges
// against exact partitions, the online softmax / merge / combine chain against a plain
// double softmax, and the paged K/V offset against the layout rule written out by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "attention_decode_math.cuh"

namespace mistralrs::kernels {
namespace {

namespace dm = decode_math;

// The contract in attention.h, written independently of the header.
bool sees(int64_t j, int64_t p, int64_t n_kv, int64_t window) {
  return j >= 0 && j < n_kv && j <= p && (window == 0 || p - j < window);
}

const int64_t kWindows[] = {0, 1, 2, 5, 17, 1000};

TEST(AttentionDecodeMath, VisibleKeysMatchThePredicate) {
  for (int64_t window : kWindows)
    for (int64_t n_kv = 0; n_kv <= 20; ++n_kv)
      for (int64_t p = -3; p <= 40; ++p) {
        const dm::KeyRange r = dm::visible_keys(p, n_kv, window);
        for (int64_t j = -2; j <= n_kv + 3; ++j)
          ASSERT_EQ(j >= r.begin && j < r.end, sees(j, p, n_kv, window))
              << "p " << p << " n_kv " << n_kv << " window " << window << " j " << j;
      }
}

TEST(AttentionDecodeMath, UnionKeysIsExactlyTheKeysSomeRowSees) {
  for (int64_t window : kWindows)
    for (int64_t n_kv = 0; n_kv <= 20; ++n_kv)
      for (int64_t n_q = 0; n_q <= 5; ++n_q)
        for (int64_t p0 = -6; p0 <= 30; ++p0) {
          const dm::KeyRange u = dm::union_keys(p0, n_q, n_kv, window);
          for (int64_t j = -2; j <= n_kv + 3; ++j) {
            bool any = false;
            for (int64_t i = 0; i < n_q; ++i) any = any || sees(j, p0 + i, n_kv, window);
            ASSERT_EQ(j >= u.begin && j < u.end, any)
                << "p0 " << p0 << " n_q " << n_q << " n_kv " << n_kv << " window " << window << " j " << j;
          }
        }
}

// Splits of the largest range a launch can meet partition every range it does meet: with
// the key count known (exact) and read on the device (any count up to the bound).
TEST(AttentionDecodeMath, SplitsPartitionTheKeys) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 3000; ++trial) {
    const int64_t n_kv = std::uniform_int_distribution<int64_t>(0, 300000)(rng) >> (trial % 10);
    const int64_t n_q = std::uniform_int_distribution<int64_t>(1, 4)(rng);
    const int64_t window = trial % 3 == 0 ? std::uniform_int_distribution<int64_t>(1, 5000)(rng) : 0;
    const bool on_device = trial % 2 == 1;
    const int64_t q_pos = std::max<int64_t>(0, n_kv - n_q);
    const int64_t bound = dm::max_keys_bound(q_pos, n_q, n_kv, window, on_device);
    const int64_t ctas = std::uniform_int_distribution<int64_t>(1, 64)(rng);
    const int64_t len = dm::choose_split_len(bound, ctas, 4 * 132 * 3);
    const int64_t n_splits = dm::num_splits(bound, len);
    ASSERT_EQ(len % dm::kSplitAlign, 0);
    ASSERT_GE(len, dm::kMinSplitLen);
    ASSERT_LE(n_splits, dm::kMaxSplits);
    ASSERT_GE(n_splits, 1);
    // The run-time count: the bound itself, or less when read on the device.
    const int64_t rt = on_device ? std::uniform_int_distribution<int64_t>(0, n_kv)(rng) : n_kv;
    const int64_t p0 = on_device ? rt - n_q : q_pos;
    const dm::KeyRange all = dm::union_keys(p0, n_q, rt, window);
    ASSERT_LE(all.end - all.begin, bound) << "n_kv " << n_kv << " rt " << rt << " window " << window;
    int64_t next = all.begin;
    for (int64_t s = 0; s < n_splits; ++s) {
      const dm::KeyRange r = dm::split_keys(all, len, s);
      if (r.begin >= r.end) continue;
      ASSERT_EQ(r.begin, next) << "split " << s;
      next = r.end;
    }
    ASSERT_EQ(next, std::max(all.begin, all.end)) << "the splits must cover the range";
  }
}

TEST(AttentionDecodeMath, SplitLengthAimsAtTheTargetCtaCount) {
  // 128k keys, 8 kv heads, target 1584 CTAs: 198 splits wanted -> 662 keys -> 672 (x16).
  EXPECT_EQ(dm::choose_split_len(131072, 8, 1584), 672);
  EXPECT_EQ(dm::num_splits(131072, 672), 196);
  EXPECT_EQ(dm::choose_split_len(100, 8, 1584), dm::kMinSplitLen);  // short: floor applies
  EXPECT_EQ(dm::num_splits(100, 64), 2);
  EXPECT_EQ(dm::num_splits(0, 64), 1);  // an empty range still gets one (empty) split
  // The split cap: 10M keys on one CTA per split would want 1584 splits; at most 1024:
  // 1e7 / 1024 -> 9766 keys, 9776 after rounding to 16, 1023 splits.
  EXPECT_EQ(dm::choose_split_len(10000000, 1, 1584), 9776);
  EXPECT_EQ(dm::num_splits(10000000, 9776), 1023);
}

// One stream of keys processed as the kernel does: chunks of `chunk` keys, the running max
// raised once per chunk, the state rescaled by exp2_from(m_old, m_new).
struct State {
  float m = -INFINITY, l = 0.0f;
  std::vector<float> acc;
};

void online(State& st, const std::vector<float>& s, const std::vector<std::vector<float>>& v,
            const std::vector<int64_t>& keys, int chunk) {
  for (size_t b = 0; b < keys.size(); b += static_cast<size_t>(chunk)) {
    const size_t e = std::min(keys.size(), b + static_cast<size_t>(chunk));
    float mx = -INFINITY;
    for (size_t t = b; t < e; ++t) mx = std::max(mx, s[static_cast<size_t>(keys[t])]);
    const float m_new = std::max(st.m, mx);
    const float alpha = dm::exp2_from(st.m, m_new);
    st.m = m_new;
    st.l *= alpha;
    for (float& a : st.acc) a *= alpha;
    for (size_t t = b; t < e; ++t) {
      const size_t j = static_cast<size_t>(keys[t]);
      const float p = dm::exp2_from(s[j], st.m);
      st.l += p;
      for (size_t d = 0; d < st.acc.size(); ++d) st.acc[d] += p * v[j][d];
    }
  }
}

State merged(const State& a, const State& b) {
  const dm::Merge mg = dm::merge(a.m, a.l, b.m, b.l);
  State r{mg.m, mg.l, a.acc};
  for (size_t d = 0; d < r.acc.size(); ++d) r.acc[d] = a.acc[d] * mg.wa + b.acc[d] * mg.wb;
  return r;
}

// Random scores (log2 units, some masked), keys cut into random splits, each split into
// interleaved streams (the kernel's key groups and warps) merged pairwise, then the splits
// combined with combine_weight: equal to sum_j 2^s_j v_j / sum_j 2^s_j in double.
TEST(AttentionDecodeMath, SplitOnlineSoftmaxEqualsDoubleSoftmax) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t n = std::uniform_int_distribution<int64_t>(0, 700)(rng);
    const size_t dim = 4;
    const float spread = trial % 4 == 0 ? 120.0f : 8.0f;  // large spreads test under/overflow
    const double masked_frac = trial % 5 == 0 ? 1.0 : (trial % 3) * 0.3;
    std::uniform_real_distribution<float> sd(-spread, spread), vd(-1.0f, 1.0f), u01(0.0f, 1.0f);
    std::vector<float> s(static_cast<size_t>(n));
    std::vector<std::vector<float>> v(static_cast<size_t>(n), std::vector<float>(dim));
    for (int64_t j = 0; j < n; ++j) {
      s[static_cast<size_t>(j)] = u01(rng) < masked_frac ? -INFINITY : sd(rng);
      for (float& x : v[static_cast<size_t>(j)]) x = vd(rng);
    }
    // Oracle.
    double mx = -INFINITY;
    for (float x : s) mx = std::max(mx, double{x});
    std::vector<double> want(dim, 0.0);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (s[static_cast<size_t>(j)] == -INFINITY) continue;
      const double w = std::exp2(double{s[static_cast<size_t>(j)]} - mx);
      sum += w;
      for (size_t d = 0; d < dim; ++d) want[d] += w * v[static_cast<size_t>(j)][d];
    }
    for (double& x : want) x = sum > 0 ? x / sum : 0.0;
    // Splits of random length, streams within each.
    const int64_t split_len = std::uniform_int_distribution<int64_t>(1, 200)(rng);
    const int streams = 1 << std::uniform_int_distribution<int>(0, 4)(rng);
    const int chunk = std::uniform_int_distribution<int>(1, 8)(rng);
    const dm::KeyRange all{0, n};
    std::vector<State> parts;
    for (int64_t sp = 0; sp < dm::num_splits(n, split_len); ++sp) {
      const dm::KeyRange r = dm::split_keys(all, split_len, sp);
      State acc_state{-INFINITY, 0.0f, std::vector<float>(dim, 0.0f)};
      for (int st = 0; st < streams; ++st) {
        std::vector<int64_t> keys;
        for (int64_t j = r.begin + st; j < r.end; j += streams) keys.push_back(j);
        State one{-INFINITY, 0.0f, std::vector<float>(dim, 0.0f)};
        online(one, s, v, keys, chunk);
        acc_state = merged(acc_state, one);
      }
      parts.push_back(acc_state);
    }
    float m_max = -INFINITY;
    for (const State& p : parts) m_max = std::max(m_max, p.m);
    float l_total = 0;
    for (const State& p : parts) l_total += p.l * dm::exp2_from(p.m, m_max);
    const float inv = dm::inv_or_zero(l_total);
    for (size_t d = 0; d < dim; ++d) {
      float got = 0;
      for (const State& p : parts) got += dm::combine_weight(p.m, m_max, inv) * p.acc[d];
      ASSERT_FALSE(std::isnan(got)) << "trial " << trial;
      // f32 sums of up to 700 weights in [0, 1] and values in [-1, 1]: a few 1e-7 relative
      // per step, well under 1e-5 absolute for outputs of magnitude <= 1.
      EXPECT_NEAR(got, want[d], 1e-5) << "trial " << trial << " n " << n << " d " << d
                                      << " split_len " << split_len << " streams " << streams;
    }
  }
}

TEST(AttentionDecodeMath, MaskedStatesNeverMakeNan) {
  EXPECT_EQ(dm::exp2_from(-INFINITY, -INFINITY), 0.0f);
  EXPECT_EQ(dm::exp2_from(-INFINITY, 3.0f), 0.0f);
  EXPECT_EQ(dm::exp2_from(2.0f, 2.0f), 1.0f);
  EXPECT_EQ(dm::exp2_from(1.0f, 3.0f), 0.25f);
  const dm::Merge mg = dm::merge(-INFINITY, 0.0f, -INFINITY, 0.0f);
  EXPECT_EQ(mg.m, -INFINITY);
  EXPECT_EQ(mg.l, 0.0f);
  EXPECT_EQ(mg.wa, 0.0f);
  EXPECT_EQ(mg.wb, 0.0f);
  // (m 1, l 3) with (m 3, l 1): max 3, l = 3 * 2^-2 + 1 = 1.75.
  const dm::Merge m2 = dm::merge(1.0f, 3.0f, 3.0f, 1.0f);
  EXPECT_EQ(m2.m, 3.0f);
  EXPECT_EQ(m2.l, 1.75f);
  EXPECT_EQ(m2.wa, 0.25f);
  EXPECT_EQ(m2.wb, 1.0f);
  EXPECT_EQ(dm::inv_or_zero(0.0f), 0.0f);
  EXPECT_EQ(dm::combine_weight(-INFINITY, -INFINITY, 0.0f), 0.0f);
}

// The decode kernel leaves the acc of a split that saw no key (m = -inf) unwritten and the
// combine reads acc only where the weight is non-zero: the weight of such a split must be
// exactly 0 whatever the other splits hold. inv_l is at most 1 when some key is visible
// (the largest key contributes exp2(0) = 1 to l), and 0 when none is.
TEST(AttentionDecodeMath, EmptySplitsGetExactlyZeroWeight) {
  for (float m_max : {-INFINITY, -1e30f, -3.0f, 0.0f, 100.0f, 1e30f})
    for (float inv_l : {0.0f, 1e-30f, 0.5f, 1.0f}) {
      const float w = dm::combine_weight(-INFINITY, m_max, inv_l);
      EXPECT_EQ(w, 0.0f) << "m_max " << m_max << " inv_l " << inv_l;
      EXPECT_FALSE(std::signbit(w) || std::isnan(w));
    }
  // A visible split's weight is non-zero unless it lies 126+ units (log2) below the max.
  EXPECT_GT(dm::combine_weight(-100.0f, 0.0f, 1.0f), 0.0f);
  EXPECT_EQ(dm::inv_or_zero(1.0f), 1.0f);
}

TEST(AttentionDecodeMath, KvOffsetFollowsTheLayout) {
  const int32_t table[] = {5, 2, 7, 0};
  KvLayout kv;
  kv.block_table = table;
  kv.block_size = 16;
  kv.block_stride = 16 * 8 * 128;
  kv.row_stride = 8 * 128;
  kv.head_stride = 128;
  for (int64_t j = 0; j < 64; ++j)
    for (int64_t h = 0; h < 8; ++h)
      ASSERT_EQ(dm::kv_offset(kv, j, h),
                table[j / 16] * (16 * 8 * 128) + (j % 16) * (8 * 128) + h * 128);
  // Contiguous: the block fields are ignored.
  kv.block_table = nullptr;
  EXPECT_EQ(dm::kv_offset(kv, 1000, 3), 1000 * 1024 + 3 * 128);
  // The 64-bit path: a block size past 2^31. Position 2^32 + 5 is row 5 of table entry 1.
  kv.block_table = table;
  kv.block_size = int64_t{1} << 32;
  kv.block_stride = 1;
  kv.row_stride = 10;
  EXPECT_EQ(dm::kv_offset(kv, (int64_t{1} << 32) + 5, 1), 2 + 50 + 128);
}

}  // namespace
}  // namespace mistralrs::kernels
