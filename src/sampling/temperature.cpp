// Temperature and entropy-scaled (dynamic) temperature.
#include <algorithm>
#include <cmath>

#include "sampling/stages.h"

namespace mistralrs {

void temperature(Candidates& c, float t) {
  if (t == 1.0f || c.empty()) return;
  if (t == 0.0f) {
    c.keep_top(1);
    return;
  }
  // Division, not a multiplication by 1/t: logit / t is what the definition says and
  // what the tests derive by hand. Order-preserving for t > 0.
  if (c.dense()) {
    for (float& x : c.row()) x /= t;
  } else {
    for (TokenLogit& x : c.list()) x.logit /= t;
  }
}

void dynamic_temperature(Candidates& c, float t, float range, float exponent, StageScratch& s) {
  if (range <= 0.0f) {
    temperature(c, t);
    return;
  }
  softmax(c, s.probs);
  double entropy = 0.0;
  size_t n_finite = 0;
  for (float q : s.probs) {
    if (!(q > 0.0f)) continue;
    entropy -= static_cast<double>(q) * std::log(static_cast<double>(q));
    ++n_finite;
  }
  if (n_finite <= 1) {  // one live token: its probability is 1 at any temperature
    temperature(c, t);
    return;
  }
  const double lo = std::max(0.0, static_cast<double>(t) - range);
  const double hi = static_cast<double>(t) + range;
  const double normalized = std::clamp(entropy / std::log(static_cast<double>(n_finite)), 0.0, 1.0);
  temperature(c, static_cast<float>(lo + (hi - lo) * std::pow(normalized, static_cast<double>(exponent))));
}

}  // namespace mistralrs
