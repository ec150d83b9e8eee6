// One CTA of the split-KV decode kernel (kernels/attention_decode.cu) replayed on the CPU:
// all 128 threads, the lane layout from attention_decode_math.cuh, warp shuffles as array
// exchanges in the kernel's order (butterfly score sums, key-group merges within the warp,
// then warps through "shared memory" in turn). Its partial (m, l, acc) must match a plain
// double softmax over the CTA's key range, and every K/V element of that range must be read
// exactly once. The f16/bf16 unpacking is not replayed: K/V are floats here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "attention_decode_math.cuh"

namespace mistralrs::kernels {
namespace {

namespace dm = decode_math;

constexpr int kWarps = 4, kThreads = kWarps * 32;  // as in attention_decode.cu

struct Case {
  int d, tile_rows, unroll;  // tile_rows / unroll: the kernel's pick_kernel instantiation
  int64_t n_q, group, n_kv, q_position, window;
  bool paged;
};

struct Cache {
  KvLayout kv;
  std::vector<int32_t> table;
  std::vector<float> k, v;  // indexed by dm::kv_offset + column
};

Cache make_cache(const Case& cs, int n_kv_heads, std::mt19937& rng) {
  Cache c;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  KvLayout& kv = c.kv;
  kv.n_kv = cs.n_kv;
  kv.n_kv_heads = n_kv_heads;
  int64_t size = 0;
  if (cs.paged) {  // [block][row][head][d], blocks in shuffled order with one spare
    kv.block_size = 16;
    kv.head_stride = cs.d + 8;  // padded strides: a stride mix-up reads the wrong element
    kv.row_stride = n_kv_heads * kv.head_stride;
    kv.block_stride = kv.block_size * kv.row_stride;
    const int64_t n_blocks = dm::ceil_div(cs.n_kv, kv.block_size) + 1;
    for (int64_t b = 0; b < n_blocks; ++b) c.table.push_back(static_cast<int32_t>(b));
    std::shuffle(c.table.begin(), c.table.end(), rng);
    kv.block_table = c.table.data();
    size = n_blocks * kv.block_stride;
  } else {  // [head][row][d]
    kv.row_stride = cs.d + 8;
    kv.head_stride = cs.n_kv * kv.row_stride + 8;
    size = n_kv_heads * kv.head_stride;
  }
  c.k.resize(static_cast<size_t>(size));
  c.v.resize(static_cast<size_t>(size));
  for (float& x : c.k) x = u(rng);
  for (float& x : c.v) x = u(rng);
  return c;
}

struct Partial {
  bool written = false;
  float m = 0.0f, l = 0.0f;
  std::vector<float> acc;
};

// decode_kernel for CTA (split, kvh, chunk) with the host-known key count.
std::vector<Partial> replay_cta(const Case& cs, const Cache& cache, const std::vector<float>& q,
                                int64_t q_row_stride, int64_t q_head_stride, float scale_log2,
                                int64_t split_len, int split, int kvh, int64_t chunk,
                                std::vector<int>& k_reads) {
  const int D = cs.d, R = cs.tile_rows, U = cs.unroll, lpk = dm::lanes_per_key(D);
  const int64_t rows_total = cs.n_q * cs.group, row0 = chunk * R;
  const size_t nan_fill = static_cast<size_t>(R * D);
  // q load: every thread strides over idx as the kernel does; unwritten slots stay NaN.
  std::vector<float> q_s(nan_fill, NAN);
  std::vector<int> q_writes(nan_fill, 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int idx = t; idx < R * D; idx += kThreads) {
      const int r = idx / D, col = idx % D;
      const int64_t row = row0 + r;
      float v = 0.0f;
      if (row < rows_total) {
        const dm::DecodeRow qr = dm::decode_row(row, cs.group, kvh);
        v = q[static_cast<size_t>(qr.i * q_row_stride + qr.h * q_head_stride + col)] * scale_log2;
      }
      const int at = dm::q_flat_index(r, col, D);
      EXPECT_TRUE(at >= 0 && at < R * D);
      q_s[static_cast<size_t>(at)] = v;
      ++q_writes[static_cast<size_t>(at)];
    }
  }
  for (int w : q_writes) EXPECT_EQ(w, 1);
  std::vector<dm::KeyRange> vis(static_cast<size_t>(R));
  for (int r = 0; r < R; ++r)
    if (row0 + r < rows_total)
      vis[static_cast<size_t>(r)] =
          dm::visible_keys(cs.q_position + (row0 + r) / cs.group, cs.n_kv, cs.window);
  const dm::KeyRange mine =
      dm::split_keys(dm::union_keys(cs.q_position, cs.n_q, cs.n_kv, cs.window), split_len, split);

  // Per-thread registers m[R], l[R], acc[R][8], indexed [thread][r](*8 + e).
  std::vector<float> m(static_cast<size_t>(kThreads * R), -INFINITY);
  std::vector<float> l(static_cast<size_t>(kThreads * R), 0.0f);
  std::vector<float> acc(static_cast<size_t>(kThreads * R * 8), 0.0f);
  auto M = [&](int t, int r) -> float& { return m[static_cast<size_t>(t * R + r)]; };
  auto L = [&](int t, int r) -> float& { return l[static_cast<size_t>(t * R + r)]; };
  auto A = [&](int t, int r, int e) -> float& {
    return acc[static_cast<size_t>((t * R + r) * 8 + e)];
  };

  for (int64_t base = mine.begin; base < mine.end; base += dm::keys_per_iter(D, kWarps, U)) {
    for (int w = 0; w < kWarps; ++w) {
      std::vector<int64_t> j(static_cast<size_t>(32 * U));
      std::vector<float> kf(static_cast<size_t>(32 * U * 8), 0.0f), vf(kf.size(), 0.0f);
      for (int lane = 0; lane < 32; ++lane) {
        const dm::LaneSlot ls = dm::lane_slot(lane, D);
        for (int u = 0; u < U; ++u) {
          const int64_t jj = dm::lane_key(base, w, u, U, D, ls.kg);
          j[static_cast<size_t>(lane * U + u)] = jj;
          if (jj >= mine.end) continue;
          const int64_t off = dm::kv_offset(cache.kv, jj, kvh) + dm::chunk_col(ls.c);
          EXPECT_EQ(off % 8, 0);  // 16-byte aligned for 2-byte elements
          EXPECT_TRUE(jj >= mine.begin);
          for (int e = 0; e < 8; ++e) {
            kf[static_cast<size_t>((lane * U + u) * 8 + e)] = cache.k[static_cast<size_t>(off + e)];
            vf[static_cast<size_t>((lane * U + u) * 8 + e)] = cache.v[static_cast<size_t>(off + e)];
          }
          if (jj >= mine.begin && jj < mine.end)
            for (int e = 0; e < 8; ++e)
              ++k_reads[static_cast<size_t>((jj - mine.begin) * D + dm::chunk_col(ls.c) + e)];
        }
      }
      std::vector<float> s(static_cast<size_t>(32 * U * R));
      for (int u = 0; u < U; ++u) {
        for (int r = 0; r < R; ++r) {
          float x[32];
          for (int lane = 0; lane < 32; ++lane) {
            const int c = dm::lane_slot(lane, D).c;
            const float* qa = &q_s[static_cast<size_t>(4 * dm::q_vec_index(r, 0, c, D))];
            const float* qb = &q_s[static_cast<size_t>(4 * dm::q_vec_index(r, 1, c, D))];
            const float* k = &kf[static_cast<size_t>((lane * U + u) * 8)];
            x[lane] = qa[0] * k[0] + qa[1] * k[1] + qa[2] * k[2] + qa[3] * k[3] + qb[0] * k[4] +
                      qb[1] * k[5] + qb[2] * k[6] + qb[3] * k[7];
          }
          for (int off = lpk / 2; off > 0; off /= 2) {  // __shfl_xor_sync butterfly
            float y[32];
            for (int lane = 0; lane < 32; ++lane) y[lane] = x[lane] + x[lane ^ off];
            for (int lane = 0; lane < 32; ++lane) x[lane] = y[lane];
          }
          for (int lane = 0; lane < 32; ++lane) {
            const int64_t jj = j[static_cast<size_t>(lane * U + u)];
            const dm::KeyRange& vr = vis[static_cast<size_t>(r)];
            const bool visible = jj < mine.end && jj >= vr.begin && jj < vr.end;
            s[static_cast<size_t>((lane * U + u) * R + r)] = visible ? x[lane] : -INFINITY;
          }
        }
      }
      for (int lane = 0; lane < 32; ++lane) {
        const int t = w * 32 + lane;
        for (int r = 0; r < R; ++r) {
          float mx = s[static_cast<size_t>((lane * U) * R + r)];
          for (int u = 1; u < U; ++u)
            mx = std::fmax(mx, s[static_cast<size_t>((lane * U + u) * R + r)]);
          const float m_new = std::fmax(M(t, r), mx);
          const float alpha = dm::exp2_from(M(t, r), m_new);
          M(t, r) = m_new;
          L(t, r) *= alpha;
          for (int e = 0; e < 8; ++e) A(t, r, e) *= alpha;
        }
        for (int u = 0; u < U; ++u) {
          for (int r = 0; r < R; ++r) {
            const float pr = dm::exp2_from(s[static_cast<size_t>((lane * U + u) * R + r)], M(t, r));
            L(t, r) += pr;
            for (int e = 0; e < 8; ++e)
              A(t, r, e) =
                  std::fma(pr, vf[static_cast<size_t>((lane * U + u) * 8 + e)], A(t, r, e));
          }
        }
      }
    }
  }

  // Key groups of each warp: all lanes read their partner's old values, then update.
  for (int w = 0; w < kWarps; ++w) {
    for (int off = lpk; off < 32; off *= 2) {
      for (int r = 0; r < R; ++r) {
        float om[32], ol[32], oa[32][8];
        for (int lane = 0; lane < 32; ++lane) {
          om[lane] = M(w * 32 + lane, r);
          ol[lane] = L(w * 32 + lane, r);
          for (int e = 0; e < 8; ++e) oa[lane][e] = A(w * 32 + lane, r, e);
        }
        for (int lane = 0; lane < 32; ++lane) {
          const int t = w * 32 + lane;
          const dm::Merge mg = dm::merge(om[lane], ol[lane], om[lane ^ off], ol[lane ^ off]);
          for (int e = 0; e < 8; ++e) A(t, r, e) = oa[lane][e] * mg.wa + oa[lane ^ off][e] * mg.wb;
          M(t, r) = mg.m;
          L(t, r) = mg.l;
        }
      }
    }
  }
  std::vector<float> m_s(static_cast<size_t>(kWarps * R)), l_s(m_s.size());
  for (int w = 0; w < kWarps; ++w)
    for (int r = 0; r < R; ++r)
      m_s[static_cast<size_t>(w * R + r)] = M(w * 32, r),
                                      l_s[static_cast<size_t>(w * R + r)] = L(w * 32, r);
  auto m_cta = [&](int r) {
    float mx = m_s[static_cast<size_t>(r)];
    for (int w = 1; w < kWarps; ++w) mx = std::fmax(mx, m_s[static_cast<size_t>(w * R + r)]);
    return mx;
  };
  std::vector<float> acc_s(static_cast<size_t>(R * D), NAN);
  for (int w = 0; w < kWarps; ++w) {
    for (int lane = 0; lane < 32; ++lane) {
      const dm::LaneSlot ls = dm::lane_slot(lane, D);
      if (ls.kg != 0) continue;
      const int t = w * 32 + lane;
      for (int r = 0; r < R; ++r) {
        const float wr = dm::exp2_from(M(t, r), m_cta(r));
        for (int e = 0; e < 8; ++e) {
          float& dst = acc_s[static_cast<size_t>(r * D + dm::chunk_col(ls.c) + e)];
          dst = (w == 0 ? 0.0f : dst) + A(t, r, e) * wr;
        }
      }
    }
  }
  std::vector<Partial> out(static_cast<size_t>(R));
  for (int r = 0; r < R; ++r) {
    if (row0 + r >= rows_total || m_cta(r) == -INFINITY) continue;
    Partial& p = out[static_cast<size_t>(r)];
    p.written = true;
    p.m = m_cta(r);
    for (int w = 0; w < kWarps; ++w)
      p.l += l_s[static_cast<size_t>(w * R + r)] *
             dm::exp2_from(m_s[static_cast<size_t>(w * R + r)], p.m);
    p.acc.assign(acc_s.begin() + r * D, acc_s.begin() + (r + 1) * D);
  }
  return out;
}

void check_case(const Case& cs, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "D=" << cs.d << " tile_rows=" << cs.tile_rows << " n_q="
                                    << cs.n_q << " group=" << cs.group << " n_kv=" << cs.n_kv
                                    << " window=" << cs.window << " paged=" << cs.paged);
  std::mt19937 rng(seed);
  const int n_kv_heads = 2, D = cs.d;
  const Cache cache = make_cache(cs, n_kv_heads, rng);
  const int64_t n_heads = n_kv_heads * cs.group;
  const int64_t q_head_stride = D + 8, q_row_stride = n_heads * q_head_stride;
  std::vector<float> q(static_cast<size_t>(cs.n_q * q_row_stride));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (float& x : q) x = u(rng);
  const float scale_log2 = dm::kLog2e / std::sqrt(static_cast<float>(D));
  const int64_t rows_total = cs.n_q * cs.group;
  const dm::KeyRange all = dm::union_keys(cs.q_position, cs.n_q, cs.n_kv, cs.window);
  const int64_t split_len = dm::kMinSplitLen;
  const int64_t n_splits = dm::num_splits(all.end - all.begin, split_len);
  int checked = 0;
  for (int kvh = 0; kvh < n_kv_heads; ++kvh) {
    for (int64_t chunk = 0; chunk * cs.tile_rows < rows_total; ++chunk) {
      for (int split = 0; split < n_splits; ++split) {
        const dm::KeyRange mine = dm::split_keys(all, split_len, split);
        std::vector<int> reads(static_cast<size_t>((mine.end - mine.begin) * D), 0);
        const std::vector<Partial> got =
            replay_cta(cs, cache, q, q_row_stride, q_head_stride, scale_log2, split_len, split, kvh,
                       chunk, reads);
        // Every K/V element of the split is loaded by exactly one lane of the CTA.
        for (int n : reads) ASSERT_EQ(n, 1);
        for (int r = 0; r < cs.tile_rows; ++r) {
          const int64_t row = chunk * cs.tile_rows + r;
          if (row >= rows_total) continue;
          // Written out, not decode_row: packed row = query row * group + head within group.
          const int64_t qi = row / cs.group, qh = kvh * cs.group + row % cs.group;
          const dm::KeyRange vr = dm::visible_keys(cs.q_position + qi, cs.n_kv, cs.window);
          // Plain double softmax over the keys of this split that the row sees.
          std::vector<double> sc;
          std::vector<int64_t> keys;
          for (int64_t j = std::max(mine.begin, vr.begin); j < std::min(mine.end, vr.end); ++j) {
            const int64_t off = dm::kv_offset(cache.kv, j, kvh);
            double s = 0.0;
            for (int d = 0; d < D; ++d)
              s += static_cast<double>(
                       q[static_cast<size_t>(qi * q_row_stride + qh * q_head_stride + d)]) *
                   cache.k[static_cast<size_t>(off + d)];
            sc.push_back(s * scale_log2);
            keys.push_back(j);
          }
          const Partial& p = got[static_cast<size_t>(r)];
          if (sc.empty()) {
            EXPECT_FALSE(p.written) << "row " << row << " split " << split;
            continue;
          }
          ASSERT_TRUE(p.written) << "row " << row << " split " << split;
          double m_ref = -INFINITY;
          for (double s : sc) m_ref = std::max(m_ref, s);
          // Float scores: |q . k| <= D * 1 * scale_log2 summed in float, error ~1e-5.
          ASSERT_NEAR(p.m, m_ref, 1e-4) << "row " << row << " split " << split;
          // The partial is relative to its own m; rescale the reference to it.
          double l_ref = 0.0;
          std::vector<double> a_ref(static_cast<size_t>(D), 0.0);
          for (size_t k = 0; k < sc.size(); ++k) {
            const double pr = std::exp2(sc[k] - p.m);
            l_ref += pr;
            const int64_t off = dm::kv_offset(cache.kv, keys[k], kvh);
            for (int d = 0; d < D; ++d)
              a_ref[static_cast<size_t>(d)] += pr * cache.v[static_cast<size_t>(off + d)];
          }
          // Float sums of <= split_len terms of size <= l_ref: relative error well below 1e-4.
          ASSERT_NEAR(p.l, l_ref, 1e-4 * l_ref) << "row " << row << " split " << split;
          for (int d = 0; d < D; ++d)
            ASSERT_NEAR(p.acc[static_cast<size_t>(d)], a_ref[static_cast<size_t>(d)], 1e-4 * l_ref)
                << "row " << row << " split " << split << " col " << d;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
}

// rows 1 / 4 / 8 / 16 with pick_kernel's (tile rows, unroll); n_kv spans several splits of
// kMinSplitLen keys with a short last one; the window case leaves the first split partly
// masked per row; 6 rows in a tile of 8 exercise padding rows.
TEST(AttentionDecodeLanes, CtaReplayMatchesDoubleSoftmax) {
  uint32_t seed = 1;
  for (int d : {64, 128, 256}) {
    for (bool paged : {false, true}) {
      // Case{d, tile_rows, unroll, n_q, group, n_kv, q_position, window, paged}
      check_case({d, 1, 8, 1, 1, 300, 299, 0, paged}, seed++);
      check_case({d, 4, 4, 1, 4, 277, 276, 0, paged}, seed++);
      check_case({d, 8, 2, 2, 4, 290, 288, 0, paged}, seed++);
      check_case({d, 16, 1, 4, 4, 261, 257, 0, paged}, seed++);
      check_case({d, 16, 1, 16, 1, 300, 284, 100, paged}, seed++);
      check_case({d, 8, 2, 3, 2, 150, 147, 0, paged}, seed++);
    }
  }
}

// The partial slots of (kv head, row, split) tile [0, n_slots) once: the partial writes of
// different CTAs never overlap and the combine kernel finds them.
TEST(AttentionDecodeLanes, PartialSlotsAreABijection) {
  const int64_t heads = 3, rows = 5, splits = 7;
  std::vector<int> hit(static_cast<size_t>(heads * rows * splits), 0);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t s = 0; s < splits; ++s) {
        const int64_t slot = dm::partial_slot(h, rows, r, splits, s);
        ASSERT_TRUE(slot >= 0 && slot < heads * rows * splits);
        ++hit[static_cast<size_t>(slot)];
      }
  for (int n : hit) EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace mistralrs::kernels
