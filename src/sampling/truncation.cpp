// Truncation stages: top-k, top-p, min-p, typical, top-n-sigma, XTC.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "sampling/stages.h"

namespace mistralrs {

namespace {

// Keeps the logits >= threshold, or the best min_keep when fewer pass.
void keep_threshold(Candidates& c, float threshold, size_t min_keep) {
  const size_t kept = c.count_at_least(threshold);
  if (kept >= min_keep) {
    if (kept < c.size()) c.keep_at_least(threshold);
    return;
  }
  c.keep_top(min_keep);
}

// Reorders front[0, n) (bucket of entry i: s.bucket[i]) as: buckets < cross, bucket ==
// cross, buckets > cross; returns the first count and sets n_eq to the second. Without
// branches, because on a flat row the split is unpredictable: the better entries compact
// in place, the others wait in s.aside and come back behind them.
size_t split_by_bucket(TokenLogit* front, size_t n, size_t cross, StageScratch& s, size_t& n_eq) {
  s.aside.resize(2 * n);
  TokenLogit* eq = s.aside.data();
  TokenLogit* worse = s.aside.data() + n;
  size_t nf = 0, ne = 0, nw = 0;
  for (size_t i = 0; i < n; ++i) {
    const TokenLogit t = front[i];
    const uint16_t b = s.bucket[i];
    front[nf] = t;  // nf <= i: never overwrites an entry not yet read
    eq[ne] = t;
    worse[nw] = t;
    nf += b < cross;
    ne += b == cross;
    nw += b > cross;
  }
  std::copy(eq, eq + ne, front + nf);
  std::copy(worse, worse + nw, front + nf + ne);
  n_eq = ne;
  return nf;
}

// The number of best entries whose softmax weight first reaches `need`, for a list whose
// first `done` entries are sorted and weigh `acc`. O(n) without sorting the rest: bucket
// the rest by logit (buckets are monotone in the logit, so every entry of a better bucket
// beats every entry of a worse one), find the bucket where the mass crosses `need`, move
// the better buckets to the front and sort only the crossing bucket.
size_t top_mass_count(std::span<TokenLogit> items, size_t done, double acc, double need, const SoftmaxNorm& norm,
                      StageScratch& s) {
  // 4096 buckets over at most the 32 nats below the max (a DRY penalty can push a few
  // logits to -1e9, which must not squeeze the rest into one bucket); everything lower,
  // weighing < e^-32 each, shares the last bucket.
  constexpr size_t kBuckets = 4096;
  constexpr float kSpan = 32.0f;
  float lowest = norm.max;
  for (size_t i = done; i < items.size(); ++i)
    if (std::isfinite(items[i].logit)) lowest = std::min(lowest, items[i].logit);
  const float span = std::min(norm.max - lowest, kSpan);
  const float scale = span > 0.0f ? static_cast<float>(kBuckets - 1) / span : 0.0f;
  auto bucket = [&](float x) {
    // Clamped as a float: a cast of an out-of-range float to an integer is undefined.
    return std::isfinite(x) ? static_cast<size_t>(std::min((norm.max - x) * scale, static_cast<float>(kBuckets - 1)))
                            : kBuckets;
  };
  const size_t n_rest = items.size() - done;
  s.mass.assign(kBuckets + 1, 0.0);
  s.bucket.resize(n_rest);
  for (size_t i = 0; i < n_rest; ++i) {
    const float x = items[done + i].logit;
    s.bucket[i] = static_cast<uint16_t>(bucket(x));
    s.mass[s.bucket[i]] += norm.weight(x);
  }
  size_t cross = 0;
  for (; cross < kBuckets && acc + s.mass[cross] < need; ++cross) acc += s.mass[cross];
  if (cross == kBuckets) return items.size();  // rounding left the sum just short: keep all
  TokenLogit* front = items.data() + done;
  size_t ne = 0;
  const size_t nf = split_by_bucket(front, n_rest, cross, s, ne);
  std::sort(front + nf, front + nf + ne, LogitBefore{});
  for (size_t i = nf; i < nf + ne; ++i) {
    acc += norm.weight(front[i].logit);
    if (acc >= need) return done + i + 1;
  }
  return done + nf + ne;
}

}  // namespace

void top_k(Candidates& c, int32_t k, size_t min_keep) {
  if (k <= 0) return;
  c.keep_top(std::max(static_cast<size_t>(k), min_keep));
}

void top_p(Candidates& c, float p, size_t min_keep, StageScratch& s) {
  if (p >= 1.0f || c.size() <= min_keep) return;
  const SoftmaxNorm norm = softmax_norm(c);
  if (!(norm.sum > 0.0)) return;
  const double need = static_cast<double>(p) * norm.sum;  // in units of exp(logit - max)
  // A peaked distribution reaches p within the best 64: one partial sort, order kept.
  const size_t first = std::max<size_t>(64, c.n_sorted());
  c.sort_prefix(first);
  double acc = 0.0;
  const size_t sorted = std::min(first, c.size());
  for (size_t i = 0; i < sorted; ++i) {
    acc += norm.weight(c.logit(i));
    if (acc >= need && i + 1 >= min_keep) {
      c.keep_front(i + 1);
      return;
    }
  }
  if (sorted == c.size()) return;
  // A flat one: select by mass in O(n) instead of sorting 128k entries. The kept entries
  // are the same; past the sorted prefix (untouched) they are in no particular order.
  const size_t count = top_mass_count(c.list(), sorted, acc, need, norm, s);
  if (count >= min_keep) {
    c.keep_front(count);
  } else {
    c.keep_top(min_keep);
  }
}

void min_p(Candidates& c, float p, size_t min_keep) {
  if (p <= 0.0f || c.empty()) return;
  const float max = c.max_logit();
  if (max == -std::numeric_limits<float>::infinity()) return;
  // p_i >= p * p_max  <=>  logit_i - max >= log p: no softmax needed.
  keep_threshold(c, max + std::log(p), min_keep);
}

void typical(Candidates& c, float p, size_t min_keep, StageScratch& s) {
  if (p >= 1.0f || c.size() <= min_keep) return;
  softmax(c, s.probs);
  double entropy = 0.0;
  for (float q : s.probs)
    if (q > 0.0f) entropy -= static_cast<double>(q) * std::log(static_cast<double>(q));
  // Distance of each token's surprise from the entropy; p = 0 is infinitely far.
  s.aux.resize(s.probs.size());
  for (size_t i = 0; i < s.probs.size(); ++i) {
    const double q = s.probs[i];
    s.aux[i] = q > 0.0 ? static_cast<float>(std::fabs(-std::log(q) - entropy)) : std::numeric_limits<float>::infinity();
  }
  s.order.resize(c.size());
  for (uint32_t i = 0; i < s.order.size(); ++i) s.order[i] = i;
  std::stable_sort(s.order.begin(), s.order.end(), [&](uint32_t a, uint32_t b) { return s.aux[a] < s.aux[b]; });
  s.flags.assign(c.size(), 0);
  double cum = 0.0;
  for (size_t r = 0; r < s.order.size(); ++r) {
    s.flags[s.order[r]] = 1;
    cum += s.probs[s.order[r]];
    if (cum >= p && r + 1 >= min_keep) break;
  }
  c.keep_flagged(s.flags);
}

void top_n_sigma(Candidates& c, float n, size_t min_keep) {
  if (n <= 0.0f || c.size() <= min_keep) return;
  double sum = 0.0, sum_sq = 0.0;
  size_t count = 0;
  float max = -std::numeric_limits<float>::infinity();
  c.for_each_logit([&](float x) {
    if (!std::isfinite(x)) return;
    sum += x;
    sum_sq += static_cast<double>(x) * x;
    max = std::max(max, x);
    ++count;
  });
  if (count == 0) return;
  const double mean = sum / static_cast<double>(count);
  const double sigma = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(count) - mean * mean));
  keep_threshold(c, static_cast<float>(static_cast<double>(max) - n * sigma), min_keep);
}

void xtc(Candidates& c, float probability, float threshold, size_t min_keep, Rng& rng, StageScratch& s) {
  if (probability <= 0.0f || threshold > 0.5f) return;
  // Drawn before any early return, so the stream advances once per call when enabled.
  if (rng.next_float() >= probability || c.size() < 2) return;
  softmax(c, s.probs);
  size_t above = 0;
  for (float q : s.probs) above += q >= threshold ? 1 : 0;
  if (above < 2 || c.size() - (above - 1) < min_keep) return;
  // Equal logits have equal probabilities, so the `above` best are exactly those tokens.
  c.sort_prefix(above);
  c.drop_front(above - 1);
}

}  // namespace mistralrs
