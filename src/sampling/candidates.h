// The working set of the sampler chain: the tokens that survive truncation, with logits.
//
// Two forms. Dense: the whole vocabulary as a float row indexed by id, what a model gives;
// the stages that touch a few tokens (penalties, DRY, bias) index it, temperature is one
// pass over floats, and top-k selects straight from it, so a 128k-entry row is never
// turned into (id, logit) pairs on the common path. List: (id, logit) pairs in some order,
// after a truncation or when a stage needs to reorder (top-p, typical, XTC); `n_sorted`
// records how much of the front is already in descending order, so that top-k followed by
// top-p and min-p sorts once, and only partially.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace mistralrs {

struct TokenLogit {
  int32_t id;
  float logit;
};

// A sparse logit change (DRY, bias): add `delta` to the logit of `token`.
struct LogitDelta {
  int32_t token;
  float delta;
};

// Descending logit, ties by ascending id: a total order, so every partial sort agrees.
inline bool logit_before(const TokenLogit& a, const TokenLogit& b) {
  return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
}
// The same as a function object, which the std algorithms inline (a function pointer
// they call).
struct LogitBefore {
  bool operator()(const TokenLogit& a, const TokenLogit& b) const { return logit_before(a, b); }
};

class Candidates {
 public:
  // The full vocabulary from a logits row (dense). NaN and +inf are invalid (-inf = banned).
  Status assign_full(const float* logits, size_t n);
  // A caller's list, in any order.
  void assign_list(std::span<const TokenLogit> items);

  bool dense() const { return dense_; }
  size_t size() const { return dense_ ? row_.size() : items_.size(); }
  bool empty() const { return size() == 0; }
  size_t n_sorted() const { return dense_ ? 0 : n_sorted_; }
  // Read access in either form: entry i (in dense form, id i).
  float logit(size_t i) const { return dense_ ? row_[i] : items_[i].logit; }
  int32_t id(size_t i) const { return dense_ ? static_cast<int32_t>(i) : items_[i].id; }
  TokenLogit operator[](size_t i) const { return {id(i), logit(i)}; }
  // A change that keeps the order of entries (callers that may break the sorted prefix
  // call mark_unsorted()).
  void set_logit(size_t i, float v) { (dense_ ? row_[i] : items_[i].logit) = v; }
  // The storage of the current form, for passes over every entry: row() only when
  // dense(), list_view() only when not.
  std::span<float> row() { return row_; }
  std::span<const float> row_view() const { return row_; }
  std::span<const TokenLogit> list_view() const { return items_; }

  // Switches to the list form (O(n) once) and gives the pairs for reordering in place;
  // callers that reorder must call mark_unsorted().
  std::span<TokenLogit> list();
  void mark_unsorted() { n_sorted_ = 0; }

  // Makes entries [0, k) the k best in descending order (list form). O(n) + O(k log k).
  void sort_prefix(size_t k);
  // Keeps the k best, in descending order (everything, as it is, when k >= size()).
  // From the dense form: one pass that skips 16-logit blocks below the current k-th
  // best, and no pairs for the rest.
  void keep_top(size_t k);
  // Keeps entries [0, k) / drops entries [0, k) (list form, after sort_prefix).
  void keep_front(size_t k);
  void drop_front(size_t k);
  // Keeps the entries whose flag is set / whose logit is >= threshold, in their order.
  void keep_flagged(const std::vector<uint8_t>& keep);
  void keep_at_least(float threshold);

  // Calls f(logit) for every entry, branching on the form once.
  template <class F>
  void for_each_logit(F&& f) const {
    if (dense_) {
      for (float x : row_) f(x);
    } else {
      for (const TokenLogit& t : items_) f(t.logit);
    }
  }
  size_t count_at_least(float threshold) const;
  float max_logit() const;
  // Adds each delta to its token's logit; tokens absent from the set are skipped.
  void add_deltas(std::span<const LogitDelta> deltas);
  // Writes the set into a logits row of n entries: dropped tokens as -inf.
  void write_row(float* logits, size_t n) const;

 private:
  void select_top_dense(size_t k);

  bool dense_ = false;
  std::vector<float> row_;
  std::vector<TokenLogit> items_;
  size_t n_sorted_ = 0;
  std::vector<LogitDelta> delta_scratch_;
};

// Softmax of the candidates' logits (T = 1) into `probs`, in candidate order; sums in
// double. All -inf (or empty) gives all zeros.
void softmax(const Candidates& c, std::vector<float>& probs);

// The max logit and sum of exp(logit - max) in double: probabilities on demand.
struct SoftmaxNorm {
  float max;
  double sum;
  double weight(float logit) const { return static_cast<double>(std::exp(logit - max)); }
  double prob(float logit) const { return sum > 0.0 ? weight(logit) / sum : 0.0; }
};
SoftmaxNorm softmax_norm(const Candidates& c);

}  // namespace mistralrs
