#include "sampling/basic_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace mistralrs {

Status validate(const BasicSamplingParams& p) {
  if (!(p.temperature >= 0.0f) || std::isinf(p.temperature))
    return invalid_argument("temperature must be a finite number >= 0");
  if (p.top_k < 0) return invalid_argument("top_k must be >= 0 (0 = off)");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return invalid_argument("top_p must be in (0, 1]");
  return Status::ok();
}

int32_t argmax(const float* logits, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<int32_t>(best);
}

int32_t sample_token(const float* logits, int64_t n, const BasicSamplingParams& p, Rng& rng,
                     std::vector<std::pair<float, int32_t>>& cand) {
  if (p.temperature == 0.0f) return argmax(logits, n);
  cand.clear();
  for (int64_t i = 0; i < n; ++i) cand.emplace_back(logits[i], static_cast<int32_t>(i));
  // Descending by logit, ties by ascending id, so the order is fully determined.
  auto by_logit = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  size_t keep = cand.size();
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < keep) {
    keep = static_cast<size_t>(p.top_k);
    std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(keep), cand.end(), by_logit);
  } else {
    std::sort(cand.begin(), cand.end(), by_logit);
  }
  cand.resize(keep);
  const double max_l = cand[0].first;
  std::vector<double> prob(cand.size());
  double sum = 0.0;
  for (size_t i = 0; i < cand.size(); ++i) {
    prob[i] = std::exp((cand[i].first - max_l) / p.temperature);
    sum += prob[i];
  }
  if (p.top_p < 1.0f) {
    double acc = 0.0;
    size_t cut = cand.size();
    for (size_t i = 0; i < cand.size(); ++i) {
      acc += prob[i] / sum;
      if (acc >= p.top_p) {
        cut = i + 1;
        break;
      }
    }
    cand.resize(cut);
    prob.resize(cut);
    sum = 0.0;
    for (double v : prob) sum += v;
  }
  const double r = static_cast<double>(rng.next_float()) * sum;
  double acc = 0.0;
  for (size_t i = 0; i < cand.size(); ++i) {
    acc += prob[i];
    if (r < acc) return cand[i].second;
  }
  return cand.back().second;
}

}  // namespace mistralrs
