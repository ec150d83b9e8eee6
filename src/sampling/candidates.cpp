#include "sampling/candidates.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace mistralrs {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Whether any of x[0..16) is > t. GCC and Clang vector extensions (SSE2 on x86-64, NEON on
// ARM): the compiler leaves the plain loop as 16 scalar compares, and this test decides for
// nearly every block of a 128k-entry row during top-k.
#if defined(__GNUC__)
bool any_above16(const float* x, float t) {
  typedef float V4 __attribute__((vector_size(16)));
  typedef int32_t V4i __attribute__((vector_size(16)));
  const V4 tv = {t, t, t, t};
  V4i acc = {0, 0, 0, 0};
  for (int j = 0; j < 16; j += 4) {
    V4 v;
    std::memcpy(&v, x + j, sizeof(v));
    acc |= v > tv;
  }
  return (acc[0] | acc[1] | acc[2] | acc[3]) != 0;
}
#else
bool any_above16(const float* x, float t) {
  int any = 0;
  for (int j = 0; j < 16; ++j) any |= x[j] > t;
  return any != 0;
}
#endif

}  // namespace

Status Candidates::assign_full(const float* logits, size_t n) {
  row_.assign(logits, logits + n);
  dense_ = true;
  n_sorted_ = 0;
  int bad = 0;  // an integer OR so that the check vectorises
  for (size_t i = 0; i < n; ++i) bad |= !(logits[i] < kInf);  // NaN or +inf
  if (!bad) return Status::ok();
  for (size_t i = 0; i < n; ++i)
    if (!(logits[i] < kInf))
      return invalid_argument("logits[" + std::to_string(i) + "] is " + (std::isnan(logits[i]) ? "NaN" : "+inf") +
                              " (only -inf, a banned token, is allowed)");
  return Status::ok();
}

void Candidates::assign_list(std::span<const TokenLogit> items) {
  items_.assign(items.begin(), items.end());
  dense_ = false;
  n_sorted_ = 0;
}

std::span<TokenLogit> Candidates::list() {
  if (dense_) {
    items_.resize(row_.size());
    for (size_t i = 0; i < row_.size(); ++i) items_[i] = {static_cast<int32_t>(i), row_[i]};
    dense_ = false;
    n_sorted_ = 0;
  }
  return items_;
}

void Candidates::sort_prefix(size_t k) {
  list();
  const size_t n = items_.size();
  k = std::min(k, n);
  if (k <= n_sorted_) return;
  // Small k: a heap pass touches each entry once. Larger k: select, then sort the
  // selection. Close to n: sort everything.
  if (k * 4 >= n) {
    std::sort(items_.begin(), items_.end(), LogitBefore{});
    n_sorted_ = n;
  } else if (k <= 512) {
    std::partial_sort(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(k), items_.end(), LogitBefore{});
    n_sorted_ = k;
  } else {
    const auto mid = items_.begin() + static_cast<std::ptrdiff_t>(k);
    std::nth_element(items_.begin(), mid, items_.end(), LogitBefore{});
    std::sort(items_.begin(), mid, LogitBefore{});
    n_sorted_ = k;
  }
}

void Candidates::select_top_dense(size_t k) {
  const float* x = row_.data();
  const size_t n = row_.size();
  items_.clear();
  for (size_t i = 0; i < k; ++i) items_.push_back({static_cast<int32_t>(i), x[i]});
  // A heap of the k best so far, its front the worst of them. Later entries have larger
  // ids, so only a strictly larger logit beats the front.
  std::make_heap(items_.begin(), items_.end(), LogitBefore{});
  float threshold = items_.front().logit;
  auto consider = [&](size_t i) {
    if (!(x[i] > threshold)) return;
    std::pop_heap(items_.begin(), items_.end(), LogitBefore{});
    items_.back() = {static_cast<int32_t>(i), x[i]};
    std::push_heap(items_.begin(), items_.end(), LogitBefore{});
    threshold = items_.front().logit;
  };
  size_t i = k;
  for (; i < n && i % 16 != 0; ++i) consider(i);
  for (; i + 16 <= n; i += 16)  // once the heap holds good entries, most blocks are skipped
    if (any_above16(x + i, threshold))
      for (size_t j = 0; j < 16; ++j) consider(i + j);
  for (; i < n; ++i) consider(i);
  std::sort_heap(items_.begin(), items_.end(), LogitBefore{});  // best first
  dense_ = false;
  n_sorted_ = k;
}

void Candidates::keep_top(size_t k) {
  if (k >= size()) return;
  if (dense_ && k * 8 <= row_.size() && k > 0) return select_top_dense(k);
  sort_prefix(k);
  keep_front(k);
}

void Candidates::keep_front(size_t k) {
  list();
  if (k >= items_.size()) return;
  items_.resize(k);
  n_sorted_ = std::min(n_sorted_, k);
}

void Candidates::drop_front(size_t k) {
  list();
  k = std::min(k, items_.size());
  if (k == 0) return;
  items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(k));
  n_sorted_ = n_sorted_ > k ? n_sorted_ - k : 0;
}

void Candidates::keep_flagged(const std::vector<uint8_t>& keep) {
  if (dense_) {
    items_.clear();
    for (size_t i = 0; i < row_.size(); ++i)
      if (keep[i]) items_.push_back({static_cast<int32_t>(i), row_[i]});
    dense_ = false;
    n_sorted_ = 0;
    return;
  }
  size_t out = 0, sorted_kept = 0;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (!keep[i]) continue;
    if (i < n_sorted_) ++sorted_kept;  // the survivors of a sorted prefix stay sorted and best
    items_[out++] = items_[i];
  }
  items_.resize(out);
  n_sorted_ = sorted_kept;
}

void Candidates::keep_at_least(float threshold) {
  if (dense_) {
    items_.clear();
    for (size_t i = 0; i < row_.size(); ++i)
      if (row_[i] >= threshold) items_.push_back({static_cast<int32_t>(i), row_[i]});
    dense_ = false;
    n_sorted_ = 0;
    return;
  }
  size_t out = 0, sorted_kept = 0;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (!(items_[i].logit >= threshold)) continue;
    if (i < n_sorted_) ++sorted_kept;
    items_[out++] = items_[i];
  }
  items_.resize(out);
  n_sorted_ = sorted_kept;
}

float Candidates::max_logit() const {
  if (!dense_ && n_sorted_ > 0) return items_[0].logit;
  float m = -kInf;
  for_each_logit([&](float x) { m = x > m ? x : m; });
  return m;
}

size_t Candidates::count_at_least(float threshold) const {
  size_t n = 0;
  for_each_logit([&](float x) { n += x >= threshold ? 1 : 0; });
  return n;
}

void Candidates::add_deltas(std::span<const LogitDelta> deltas) {
  if (deltas.empty()) return;
  if (dense_) {
    for (const LogitDelta& d : deltas)
      if (d.token >= 0 && static_cast<size_t>(d.token) < row_.size()) row_[static_cast<size_t>(d.token)] += d.delta;
    return;
  }
  // A list: sort the (few) deltas by token and look each candidate up, so the cost is
  // O(n_candidates log n_deltas) without a per-call hash table.
  delta_scratch_.assign(deltas.begin(), deltas.end());
  std::stable_sort(delta_scratch_.begin(), delta_scratch_.end(),
                   [](const LogitDelta& a, const LogitDelta& b) { return a.token < b.token; });
  for (TokenLogit& t : items_) {
    auto it = std::lower_bound(delta_scratch_.begin(), delta_scratch_.end(), t.id,
                               [](const LogitDelta& d, int32_t id) { return d.token < id; });
    for (; it != delta_scratch_.end() && it->token == t.id; ++it) t.logit += it->delta;
  }
  n_sorted_ = 0;  // changed logits may break the sorted prefix
}

void Candidates::write_row(float* logits, size_t n) const {
  if (dense_ && row_.size() == n) {
    std::memcpy(logits, row_.data(), n * sizeof(float));
    return;
  }
  std::fill(logits, logits + n, -kInf);
  for (size_t i = 0; i < size(); ++i) {
    const TokenLogit t = (*this)[i];
    if (static_cast<size_t>(t.id) < n) logits[t.id] = t.logit;
  }
}

void softmax(const Candidates& c, std::vector<float>& probs) {
  const SoftmaxNorm norm = softmax_norm(c);
  probs.resize(c.size());
  if (!(norm.sum > 0.0)) {
    std::fill(probs.begin(), probs.end(), 0.0f);
    return;
  }
  const double inv = 1.0 / norm.sum;
  size_t i = 0;
  c.for_each_logit([&](float x) { probs[i++] = static_cast<float>(norm.weight(x) * inv); });
}

SoftmaxNorm softmax_norm(const Candidates& c) {
  const float max = c.max_logit();
  if (max == -kInf) return {max, 0.0};
  // exp in float (fast over 128k entries), accumulated in double.
  double sum = 0.0;
  c.for_each_logit([&](float x) { sum += static_cast<double>(std::exp(x - max)); });
  return {max, sum};
}

}  // namespace mistralrs
