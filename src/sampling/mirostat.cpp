#include "sampling/mirostat.h"

#include <algorithm>
#include <cmath>

namespace mistralrs {

namespace {
constexpr size_t kZipfSample = 100;  // m of the paper: probabilities used to estimate s
}

size_t Mirostat::v1_k(const Candidates& c, size_t n_vocab) const {
  const SoftmaxNorm norm = softmax_norm(c);
  const size_t m = std::min(kZipfSample, c.size());
  double sum_tb = 0.0, sum_tt = 0.0;
  for (size_t i = 0; i + 1 < m; ++i) {
    const double p0 = norm.prob(c.logit(i)), p1 = norm.prob(c.logit(i + 1));
    if (!(p1 > 0.0)) break;  // the rest has no mass: ln(p_i / 0) would be infinite
    const double t = std::log(static_cast<double>(i + 2) / static_cast<double>(i + 1));
    sum_tb += t * std::log(p0 / p1);
    sum_tt += t * t;
  }
  if (sum_tt == 0.0) return 1;
  const double s = sum_tb / sum_tt;
  if (!(s > 0.0)) return c.size();  // flat: no truncation
  const double eps = s - 1.0;
  const double n = static_cast<double>(std::max<size_t>(n_vocab, 2));
  const double factor = std::fabs(eps) < 1e-9 ? 1.0 / std::log(n) : eps / (1.0 - std::pow(n, -eps));
  const double k = std::pow(factor * std::exp2(static_cast<double>(mu_)), 1.0 / s);
  if (!(k < static_cast<double>(c.size()))) return c.size();
  return std::max<size_t>(1, static_cast<size_t>(std::floor(k + 0.5)));
}

size_t Mirostat::sample(Candidates& c, size_t n_vocab, Rng& rng, StageScratch& s) {
  if (version_ == 1) {
    c.sort_prefix(kZipfSample);
    top_k(c, static_cast<int32_t>(std::min<size_t>(v1_k(c, n_vocab), INT32_MAX)), 1);
  } else {
    softmax(c, s.probs);
    s.flags.resize(c.size());
    size_t kept = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      s.flags[i] = s.probs[i] > 0.0f && -std::log2(s.probs[i]) <= mu_;
      kept += s.flags[i];
    }
    if (kept == 0) {
      c.keep_top(1);
    } else {
      c.keep_flagged(s.flags);
    }
  }
  const size_t i = draw_index(c, rng, s);  // leaves the renormalised probabilities in s.probs
  const double surprise = -std::log2(static_cast<double>(s.probs[i]));
  mu_ = static_cast<float>(static_cast<double>(mu_) - eta_ * (surprise - tau_));
  return i;
}

}  // namespace mistralrs
