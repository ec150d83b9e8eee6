// The final draw: argmax or one seeded draw from the softmax of the candidates.
#include "sampling/stages.h"

namespace mistralrs {

size_t argmax_index(const Candidates& c) {
  size_t best = 0;
  if (!c.dense() && c.n_sorted() > 0) return 0;
  for (size_t i = 1; i < c.size(); ++i)
    if (logit_before(c[i], c[best])) best = i;
  return best;
}

size_t draw_index(const Candidates& c, Rng& rng, StageScratch& s) {
  softmax(c, s.probs);
  double total = 0.0;
  for (float q : s.probs) total += q;
  // Scaling r by the float sum (not 1) keeps the last candidate reachable despite rounding.
  const double r = static_cast<double>(rng.next_float()) * total;
  double acc = 0.0;
  size_t last_live = 0;
  for (size_t i = 0; i < s.probs.size(); ++i) {
    if (s.probs[i] <= 0.0f) continue;
    acc += s.probs[i];
    last_live = i;
    if (r < acc) return i;
  }
  return last_live;
}

}  // namespace mistralrs
