// The host/device attention math (kernels/attention_math.cuh) on the CPU: the visibility
// predicate, key ranges and tile classification against brute force; the grouped-query
// row packing and the paged K/V offsets against the layout contract walked block by block;
// the online softmax over random tile boundaries (and the merge of two partial states)
// against a two-pass softmax in double; and a CPU model of the prefill kernel's loop
// (block plan, tiles, masks, packing, paging) against ref::attention.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "attention_math.cuh"
#include "common/op_test_util.h"
#include "ops/cpu/reference.h"

namespace mistralrs {
namespace {

namespace attn = kernels::attn;

// Visibility written as an interval: key j is visible from p iff lo <= j <= hi.
bool oracle_visible(int64_t j, int64_t p, int64_t n_kv, int64_t window) {
  const int64_t lo = std::max<int64_t>(0, window > 0 ? p - window + 1 : 0);
  const int64_t hi = std::min(p, n_kv - 1);
  return lo <= j && j <= hi;
}

TEST(AttentionMath, VisibilityRangesAndTilesMatchBruteForce) {
  int checked_tiles = 0;
  for (int64_t n_kv : {0, 1, 5, 17, 40}) {
    for (int64_t window : {0, 1, 3, 8, 50}) {
      for (int64_t p_lo = -4; p_lo <= 44; p_lo += 3) {
        for (int64_t p_hi = p_lo; p_hi <= p_lo + 20; p_hi += 4) {
          int64_t first = -1, last = -1;
          for (int64_t j = -2; j < n_kv + 3; ++j) {
            bool any = false;
            for (int64_t p = p_lo; p <= p_hi; ++p) {
              const bool v = attn::key_visible(j, p, n_kv, window);
              ASSERT_EQ(v, oracle_visible(j, p, n_kv, window)) << j << " " << p << " " << window;
              any = any || v;
            }
            if (any && first < 0) first = j;
            if (any) last = j;
          }
          const attn::KeyRange r = attn::visible_keys(p_lo, p_hi, n_kv, window);
          if (first < 0) {
            EXPECT_LE(r.end, r.begin) << n_kv << " " << window << " " << p_lo << " " << p_hi;
          } else {
            // The union of the windows of consecutive positions is one interval.
            EXPECT_EQ(r.begin, first) << n_kv << " " << window << " " << p_lo << " " << p_hi;
            EXPECT_EQ(r.end, last + 1) << n_kv << " " << window << " " << p_lo << " " << p_hi;
          }
          for (int64_t len : {1, 4, 8, 16}) {
            for (int64_t start = 0; start < 48; start += len) {
              bool all = true;
              for (int64_t j = start; j < start + len; ++j)
                for (int64_t p = p_lo; p <= p_hi; ++p) all = all && oracle_visible(j, p, n_kv, window);
              ASSERT_EQ(attn::tile_fully_visible(start, len, p_lo, p_hi, n_kv, window), all)
                  << "tile " << start << "+" << len << " p " << p_lo << ".." << p_hi << " n_kv " << n_kv
                  << " window " << window;
              ++checked_tiles;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked_tiles, 10000);
}

// Every visible (row, key) pair of a block lies in its tiles, and its first and last tiles
// hold a visible key (no wasted tile at either end).
TEST(AttentionMath, BlockPlanCoversExactlyTheVisibleTiles) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 3000; ++iter) {
    const int64_t n_q = 1 + rng() % 40, group = 1 + rng() % 4, tile = 1 + rng() % 16;
    const int64_t rows = 1 + rng() % 32, n_rows = n_q * group;
    const int64_t n_kv = rng() % 80, window = rng() % 3 == 0 ? 1 + rng() % 20 : 0;
    const int64_t q_position = static_cast<int64_t>(rng() % 60) - 20;
    const int64_t row0 = (rng() % ((n_rows + rows - 1) / rows)) * rows;
    const attn::BlockPlan plan = attn::plan_block(row0, rows, n_rows, group, q_position, n_kv, window, tile);
    int64_t first = -1, last = -1;
    for (int64_t r = row0; r < std::min(row0 + rows, n_rows); ++r) {
      const int64_t p = q_position + r / group;
      EXPECT_TRUE(p >= plan.p_lo && p <= plan.p_hi);
      for (int64_t j = 0; j < n_kv; ++j) {
        if (!oracle_visible(j, p, n_kv, window)) continue;
        if (first < 0 || j < first) first = j;
        last = std::max(last, j);
      }
    }
    const std::string what = "iter " + std::to_string(iter);
    if (first < 0) {
      EXPECT_EQ(plan.tile_begin, plan.tile_end) << what;
    } else {
      EXPECT_EQ(plan.tile_begin, first / tile) << what;
      EXPECT_EQ(plan.tile_end, last / tile + 1) << what;
    }
  }
}

TEST(AttentionMath, PackedRowsCoverEachQueryHeadOnce) {
  for (int64_t group : {1, 2, 4, 8}) {
    for (int64_t kv_head : {0, 3}) {
      const int64_t n_q = 37;
      std::vector<int> seen(static_cast<size_t>(n_q * group), 0);
      for (int64_t r = 0; r < n_q * group; ++r) {
        const attn::PackedRow p = attn::packed_row(r, group, kv_head);
        ASSERT_GE(p.i, 0);
        ASSERT_LT(p.i, n_q);
        ASSERT_GE(p.h, kv_head * group);
        ASSERT_LT(p.h, (kv_head + 1) * group);
        ++seen[static_cast<size_t>(p.i * group + (p.h - kv_head * group))];
        // A tile of rows covers consecutive positions: the row's position never decreases.
        if (r > 0) {
          EXPECT_GE(p.i, attn::packed_row(r - 1, group, kv_head).i);
        }
      }
      for (int s : seen) EXPECT_EQ(s, 1);
    }
  }
}

// Walks the pool block by block in table order (no division) and checks every position.
TEST(AttentionMath, PagedOffsetsFollowTheBlockTable) {
  std::mt19937 rng(11);
  const int64_t row_stride = 24, head_stride = 8, n_kv_heads = 3;
  for (int64_t block_size : {1, 7, 16, 32}) {
    const int64_t n_blocks = 9, block_stride = block_size * row_stride + 16;
    std::vector<int32_t> table(n_blocks);
    std::iota(table.begin(), table.end(), 0);
    std::shuffle(table.begin(), table.end(), rng);
    int64_t j = 0;
    for (int64_t b = 0; b < n_blocks; ++b) {
      for (int64_t r = 0; r < block_size; ++r, ++j) {
        for (int64_t h = 0; h < n_kv_heads; ++h) {
          const int64_t expected = table[static_cast<size_t>(b)] * block_stride + r * row_stride + h * head_stride;
          ASSERT_EQ(attn::kv_offset(table.data(), block_size, block_stride, row_stride, head_stride, j, h),
                    expected)
              << "block_size " << block_size << " j " << j << " h " << h;
        }
      }
    }
  }
  EXPECT_EQ(attn::kv_offset(nullptr, 0, 0, 40, 8, 5, 2), 5 * 40 + 2 * 8);
}

// One row of scores (log2 units; -inf = masked) and values [n][d].
struct Row {
  std::vector<float> s;
  std::vector<float> v;
  int d;
};

// Two-pass softmax in double: max, then weights and the weighted sum.
std::vector<double> two_pass(const Row& row) {
  const size_t n = row.s.size();
  double m = -INFINITY;
  for (float x : row.s) m = std::max(m, static_cast<double>(x));
  std::vector<double> out(static_cast<size_t>(row.d), 0.0);
  if (m == -INFINITY) return out;
  double l = 0;
  for (size_t j = 0; j < n; ++j) {
    if (row.s[j] == -INFINITY) continue;
    const double w = std::exp2(static_cast<double>(row.s[j]) - m);
    l += w;
    for (int c = 0; c < row.d; ++c) out[static_cast<size_t>(c)] += w * row.v[j * static_cast<size_t>(row.d) + static_cast<size_t>(c)];
  }
  for (double& x : out) x /= l;
  return out;
}

// The kernel's update over keys [begin, end) split at `cuts`, in float.
struct State {
  float m = -INFINITY, l = 0.0f;
  std::vector<float> acc;
};
State online(const Row& row, size_t begin, size_t end, const std::vector<size_t>& cuts) {
  State st;
  st.acc.assign(static_cast<size_t>(row.d), 0.0f);
  size_t a = begin;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t b = k < cuts.size() ? std::clamp(cuts[k], a, end) : end;
    float mx = -INFINITY;
    for (size_t j = a; j < b; ++j) mx = std::max(mx, row.s[j]);
    const float m_new = std::max(st.m, mx);
    const float alpha = attn::softmax_rescale(st.m, m_new);
    float sum = 0.0f;
    for (float& x : st.acc) x *= alpha;
    for (size_t j = a; j < b; ++j) {
      const float w = attn::softmax_weight(row.s[j], m_new);
      EXPECT_FALSE(std::isnan(w));
      sum += w;
      for (int c = 0; c < row.d; ++c) st.acc[static_cast<size_t>(c)] += w * row.v[j * static_cast<size_t>(row.d) + static_cast<size_t>(c)];
    }
    st.l = st.l * alpha + sum;
    st.m = m_new;
    a = b;
  }
  return st;
}

Row random_row(std::mt19937& rng, size_t n, int d) {
  std::uniform_real_distribution<float> score(-30.0f, 30.0f), value(-2.0f, 2.0f);
  Row row{std::vector<float>(n), std::vector<float>(n * static_cast<size_t>(d)), d};
  const int mask_kind = static_cast<int>(rng() % 4);  // none, random, prefix, all
  for (size_t j = 0; j < n; ++j) {
    row.s[j] = score(rng);
    if ((mask_kind == 1 && rng() % 3 == 0) || (mask_kind == 2 && j < n / 2) || mask_kind == 3) row.s[j] = -INFINITY;
  }
  for (float& x : row.v) x = value(rng);
  return row;
}

std::vector<size_t> random_cuts(std::mt19937& rng, size_t n) {
  std::vector<size_t> cuts(rng() % 8);
  for (size_t& c : cuts) c = n == 0 ? 0 : rng() % (n + 1);
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// f32 error of the online form: exp2f within 2 ulp, sums of up to 300 weights and
// products; 2e-5 relative to max |v| = 2 is about 170 ulp at 1, generous for n <= 300.
constexpr double kOnlineTol = 4e-5;

TEST(AttentionMath, OnlineSoftmaxOverRandomTilesMatchesTwoPass) {
  std::mt19937 rng(3);
  int rows_all_masked = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    const size_t n = 1 + rng() % 300;
    const Row row = random_row(rng, n, 8);
    const std::vector<double> expected = two_pass(row);
    const State st = online(row, 0, n, random_cuts(rng, n));
    rows_all_masked += st.l == 0.0f;
    for (int c = 0; c < row.d; ++c) {
      const float got = attn::softmax_finish(st.acc[static_cast<size_t>(c)], st.l);
      ASSERT_NEAR(got, expected[static_cast<size_t>(c)], kOnlineTol) << "iter " << iter << " n " << n << " col " << c;
    }
  }
  EXPECT_GT(rows_all_masked, 100);  // the all-masked rows gave exact zeros above
}

// Split-KV: two parts processed apart, then merged, equal the whole row.
TEST(AttentionMath, MergedPartialStatesMatchTwoPass) {
  std::mt19937 rng(5);
  for (int iter = 0; iter < 2000; ++iter) {
    const size_t n = 1 + rng() % 300, split = rng() % (n + 1);
    const Row row = random_row(rng, n, 8);
    const std::vector<double> expected = two_pass(row);
    const State a = online(row, 0, split, random_cuts(rng, n));
    const State b = online(row, split, n, random_cuts(rng, n));
    const attn::MergeWeights w = attn::softmax_merge(a.m, b.m);
    const float l = a.l * w.w_a + b.l * w.w_b;
    for (int c = 0; c < row.d; ++c) {
      const size_t cc = static_cast<size_t>(c);
      const float got = attn::softmax_finish(a.acc[cc] * w.w_a + b.acc[cc] * w.w_b, l);
      ASSERT_FALSE(std::isnan(got));
      ASSERT_NEAR(got, expected[cc], kOnlineTol) << "iter " << iter << " split " << split << " col " << c;
    }
  }
}

// ---- a CPU model of prefill_kernel's loop ------------------------------------------------
// Same block plan, tile walk, per-tile mask decision, row packing and paged K/V addressing
// as the kernel (keys at or past n_kv read as zeros, as the kernel's loads fill them), with
// f32 scores and weights and no 16-bit rounding; checked against ref::attention.
struct ModelCase {
  int64_t n_q, n_heads, n_kv_heads, d, n_kv, q_position, window, block_size, rows, tile;
};

void model_prefill(const ModelCase& c, const std::vector<float>& q, const std::vector<float>& pool_k,
                   const std::vector<float>& pool_v, const int32_t* table, int64_t block_stride,
                   int64_t row_stride, std::vector<float>& out) {
  const int64_t group = c.n_heads / c.n_kv_heads, n_rows = c.n_q * group, d = c.d;
  const float scale_log2 = 1.0f / std::sqrt(static_cast<float>(d)) * attn::kLog2e;
  for (int64_t kvh = 0; kvh < c.n_kv_heads; ++kvh) {
    for (int64_t row0 = 0; row0 < n_rows; row0 += c.rows) {
      const attn::BlockPlan plan =
          attn::plan_block(row0, c.rows, n_rows, group, c.q_position, c.n_kv, c.window, c.tile);
      for (int64_t r = row0; r < std::min(row0 + c.rows, n_rows); ++r) {
        const attn::PackedRow pr = attn::packed_row(r, group, kvh);
        const int64_t pos = c.q_position + pr.i;
        const float* qr = &q[static_cast<size_t>((pr.i * c.n_heads + pr.h) * d)];
        State st;
        st.acc.assign(static_cast<size_t>(d), 0.0f);
        for (int64_t t = plan.tile_begin; t < plan.tile_end; ++t) {
          const bool masked = !attn::tile_fully_visible(t * c.tile, c.tile, plan.p_lo, plan.p_hi, c.n_kv, c.window);
          std::vector<float> s(static_cast<size_t>(c.tile));
          std::vector<int64_t> off(static_cast<size_t>(c.tile), -1);
          float mx = -INFINITY;
          for (int64_t jj = 0; jj < c.tile; ++jj) {
            const int64_t j = t * c.tile + jj;
            float dot = 0.0f;
            if (j < c.n_kv) {
              off[static_cast<size_t>(jj)] = attn::kv_offset(table, c.block_size, block_stride, row_stride, d, j, kvh);
              for (int64_t e = 0; e < d; ++e) dot += qr[e] * pool_k[static_cast<size_t>(off[static_cast<size_t>(jj)] + e)];
            }
            float x = dot * scale_log2;
            if (masked && !attn::key_visible(j, pos, c.n_kv, c.window)) x = -INFINITY;
            if (!masked) {
              EXPECT_TRUE(attn::key_visible(j, pos, c.n_kv, c.window)) << "unmasked tile hides a key";
            }
            s[static_cast<size_t>(jj)] = x;
            mx = std::max(mx, x);
          }
          const float m_new = std::max(st.m, mx), alpha = attn::softmax_rescale(st.m, m_new);
          float sum = 0.0f;
          for (float& x : st.acc) x *= alpha;
          for (int64_t jj = 0; jj < c.tile; ++jj) {
            const float w = attn::softmax_weight(s[static_cast<size_t>(jj)], m_new);
            sum += w;
            if (off[static_cast<size_t>(jj)] < 0) continue;  // zero-filled value row
            for (int64_t e = 0; e < d; ++e) st.acc[static_cast<size_t>(e)] += w * pool_v[static_cast<size_t>(off[static_cast<size_t>(jj)] + e)];
          }
          st.l = st.l * alpha + sum;
          st.m = m_new;
        }
        for (int64_t e = 0; e < d; ++e)
          out[static_cast<size_t>((pr.i * c.n_heads + pr.h) * d + e)] = attn::softmax_finish(st.acc[static_cast<size_t>(e)], st.l);
      }
    }
  }
}

TEST(AttentionMath, KernelLoopModelMatchesReference) {
  const ModelCase cases[] = {
      {1, 4, 1, 8, 1, 0, 0, 0, 16, 8},        {15, 4, 4, 8, 15, 0, 0, 0, 16, 8},
      {65, 8, 2, 8, 65, 0, 0, 0, 16, 8},      {37, 8, 2, 16, 100, 63, 0, 16, 32, 8},
      {30, 6, 2, 8, 90, 60, 1, 7, 16, 8},     {50, 4, 1, 8, 120, 70, 8, 0, 8, 8},
      {50, 4, 1, 8, 120, 70, 300, 32, 16, 4}, {20, 2, 1, 8, 50, 10, 0, 5, 16, 8},   // keys past the queries
      {20, 4, 2, 8, 12, -8, 0, 0, 16, 8},     {20, 4, 2, 8, 0, 0, 0, 0, 16, 8},     // run-time n_kv < n_q; no keys
      {40, 2, 1, 8, 60, 20, 16, 16, 16, 16},
  };
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  for (const ModelCase& c : cases) {
    const int64_t d = c.d, row_stride = c.n_kv_heads * d;
    const int64_t bs = c.block_size > 0 ? c.block_size : std::max<int64_t>(c.n_kv, 1);
    const int64_t n_blocks = (c.n_kv + bs - 1) / bs + 2, block_stride = bs * row_stride;
    std::vector<int32_t> table(static_cast<size_t>(n_blocks));
    std::iota(table.begin(), table.end(), 0);
    if (c.block_size > 0) std::shuffle(table.begin(), table.end(), rng);
    std::vector<float> q(static_cast<size_t>(c.n_q * c.n_heads * d)), pk(static_cast<size_t>(n_blocks * block_stride)),
        pv(pk.size());
    for (float& x : q) x = dist(rng);
    for (float& x : pk) x = dist(rng);
    for (float& x : pv) x = dist(rng);
    std::vector<float> got(q.size(), NAN);
    model_prefill(c, q, pk, pv, c.block_size > 0 ? table.data() : nullptr, block_stride, row_stride, got);

    // The reference sees the same keys gathered into a contiguous [n_kv, n_kv_heads, d].
    test::OwnedView tq = test::make_tensor(Shape{c.n_q, c.n_heads, d});
    test::OwnedView tk = test::make_tensor(Shape{std::max<int64_t>(c.n_kv, 1), c.n_kv_heads, d});
    test::OwnedView tv = test::make_tensor(Shape{std::max<int64_t>(c.n_kv, 1), c.n_kv_heads, d});
    test::OwnedView to = test::make_tensor(Shape{c.n_q, c.n_heads, d});
    std::copy(q.begin(), q.end(), tq.view.as<float>());
    for (int64_t j = 0; j < c.n_kv; ++j)
      for (int64_t h = 0; h < c.n_kv_heads; ++h) {
        const int64_t off = attn::kv_offset(c.block_size > 0 ? table.data() : nullptr, bs, block_stride, row_stride, d, j, h);
        const auto src = static_cast<size_t>(off), dst = static_cast<size_t>((j * c.n_kv_heads + h) * d);
        std::copy_n(&pk[src], d, tk.view.as<float>() + dst);
        std::copy_n(&pv[src], d, tv.view.as<float>() + dst);
      }
    AttentionParams params;
    params.q_position = c.q_position;
    params.sliding_window = c.window;
    if (c.n_kv > 0) {
      ASSERT_TRUE(ref::attention(tq, tk.view.slice(0, 0, c.n_kv).value(), tv.view.slice(0, 0, c.n_kv).value(),
                                 params, to).is_ok());
    }  // else every row sees nothing: the zero-filled output is the expected one
    test::OwnedView tg = test::make_tensor(Shape{c.n_q, c.n_heads, d});
    std::copy(got.begin(), got.end(), tg.view.as<float>());
    // f32 dot products of 16 terms and sums of <= 120 weights: well inside 1e-5.
    EXPECT_TRUE(test::all_close(tg, to, {2e-6, 1e-5}))
        << "n_q " << c.n_q << " n_kv " << c.n_kv << " q_position " << c.q_position << " window " << c.window
        << " block_size " << c.block_size << " rows " << c.rows << " tile " << c.tile;
  }
}

}  // namespace
}  // namespace mistralrs
