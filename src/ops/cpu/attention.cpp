// Causal grouped-query attention on CPU, two passes over a scratch block of scores:
// s_j = scale * q.k_j, p_j = exp(s_j - max) / sum, out = sum_j p_j v_j. Exact softmax (no
// running rescale), O(heads_per_slot * n_kv) scratch per worker.
//
// A work slot is one query and a few query heads that share a kv head: each k and v row is
// loaded once for all of them, which divides the kv traffic (the cost of decode) by up to
// the group size. Slots are split finer only when there would be too few to feed the pool.
//
// Visible keys of the query at position p: j < n_kv, j <= p, and p - j < window when a
// window is set. A query with no visible key (possible only when q_position is large and
// the window excludes every stored key) gets a zero output row.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/vec.h"

namespace mistralrs::cpu {

namespace {

constexpr int64_t kMaxHeadsPerSlot = 8;  // bounds the scratch and keeps q rows in L1

// Query heads per slot: a divisor of the group size, at most kMaxHeadsPerSlot, halved while
// there are fewer than two slots per thread.
int64_t heads_per_slot(int64_t group, int64_t n_q, int64_t n_kv_heads, int threads) {
  int64_t h = group;
  while (h > kMaxHeadsPerSlot && h % 2 == 0) h /= 2;
  if (h > kMaxHeadsPerSlot) h = 1;  // odd group sizes above 8: one head per slot
  while (h % 2 == 0 && n_q * n_kv_heads * (group / h) < 2 * threads) h /= 2;
  return h;
}

// Query order 0, n-1, 1, n-2, ...: under a causal mask the cost of query i grows with i,
// so neighbouring slots pair a cheap and a dear query and equal-sized chunks of slots (what
// parallel_for hands out) carry about equal work.
inline int64_t zigzag(int64_t k, int64_t n) { return (k % 2 == 0) ? k / 2 : n - 1 - k / 2; }

// One kv head's keys and values: row j at k + j * k_stride (v likewise).
struct KvHead {
  const float* k;
  const float* v;
  int64_t k_stride, v_stride;
};

// `n_heads` query rows (q + h * q_stride) and their output rows, all reading one kv head.
struct HeadRows {
  const float* q;
  float* out;
  int64_t q_stride, out_stride, n_heads;
};

// out_h = softmax(scale * q_h . K[first..last]) V[first..last] for each head h of `rows`;
// first <= last. scores: scratch of n_heads * (last - first + 1) floats; inv: n_heads.
void attend_heads(const VecKernels& vk, const HeadRows& rows, const KvHead& kv, int64_t first,
                  int64_t last, int64_t head_dim, float scale, float* scores, float* inv) {
  const int64_t n = last - first + 1;
  for (int64_t j = 0; j < n; ++j) {
    const float* k_row = kv.k + (first + j) * kv.k_stride;
    for (int64_t h = 0; h < rows.n_heads; ++h)
      scores[h * n + j] = scale * vk.dot(rows.q + h * rows.q_stride, k_row, head_dim);
  }
  for (int64_t h = 0; h < rows.n_heads; ++h) {
    float* s = scores + h * n;
    inv[h] = 1.0f / vk.exp_shift_sum(s, vk.max(s, n), s, n);
    std::fill(rows.out + h * rows.out_stride, rows.out + h * rows.out_stride + head_dim, 0.0f);
  }
  for (int64_t j = 0; j < n; ++j) {
    const float* v_row = kv.v + (first + j) * kv.v_stride;
    for (int64_t h = 0; h < rows.n_heads; ++h)
      vk.axpy(scores[h * n + j] * inv[h], v_row, rows.out + h * rows.out_stride, head_dim);
  }
}

}  // namespace

// q, out: [n_q, n_heads, head_dim]; k, v: [n_kv, n_kv_heads, head_dim].
Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out) {
  const int64_t n_q = q.dim(0), n_heads = q.dim(1), head_dim = q.dim(2);
  const int64_t n_kv = k.dim(0), n_kv_heads = k.dim(1);
  if (n_q == 0 || n_heads == 0 || head_dim == 0) return Status::ok();
  const int64_t group = n_heads / n_kv_heads;
  const int64_t per_slot = heads_per_slot(group, n_q, n_kv_heads, ctx.pool ? ctx.pool->size() : 1);
  const int64_t slots_per_query = n_heads / per_slot;
  const float scale = params.scale != 0.0f
                          ? params.scale
                          : static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const VecKernels& vk = vec_best();
  const int64_t min_chunk = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_kv * head_dim));
  parallel_for(ctx.pool, n_q * slots_per_query, [&](int64_t b, int64_t e) {
    std::vector<float> scores(static_cast<size_t>(per_slot * std::max<int64_t>(1, n_kv)));
    std::vector<float> inv(static_cast<size_t>(per_slot));
    for (int64_t slot = b; slot < e; ++slot) {
      const int64_t i = zigzag(slot / slots_per_query, n_q);
      const int64_t h0 = (slot % slots_per_query) * per_slot;  // first query head of the slot
      const int64_t kvh = h0 / group;
      const int64_t pos = params.q_position + i;
      const int64_t last = std::min(pos, n_kv - 1);
      const int64_t first =
          params.sliding_window > 0 ? std::max<int64_t>(0, pos - params.sliding_window + 1) : 0;
      const HeadRows rows{q.as<float>() + i * q.strides[0] + h0 * q.strides[1],
                          out.as<float>() + i * out.strides[0] + h0 * out.strides[1],
                          q.strides[1], out.strides[1], per_slot};
      if (first > last) {  // no visible key (n_kv == 0 or the window is past the cache)
        for (int64_t h = 0; h < per_slot; ++h)
          std::fill(rows.out + h * rows.out_stride, rows.out + h * rows.out_stride + head_dim, 0.0f);
        continue;
      }
      // k and v share a shape but not necessarily strides.
      const KvHead kv{k.as<float>() + kvh * k.strides[1], v.as<float>() + kvh * v.strides[1],
                      k.strides[0], v.strides[0]};
      attend_heads(vk, rows, kv, first, last, head_dim, scale, scores.data(), inv.data());
    }
  }, min_chunk);
  return Status::ok();
}

}  // namespace mistralrs::cpu
