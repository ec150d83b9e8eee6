// Repetition, frequency and presence penalties over the last N accepted tokens.
#include <algorithm>

#include "sampling/stages.h"

namespace mistralrs {

namespace {

inline float penalised(float logit, uint32_t count, float repeat, float frequency, float presence) {
  // Dividing a positive logit and multiplying a negative one both make the token less
  // likely (CTRL, Keskar et al. 2019, as llama.cpp applies it).
  logit = logit > 0.0f ? logit / repeat : logit * repeat;
  return logit - static_cast<float>(count) * frequency - presence;
}

}  // namespace

void penalties(Candidates& c, std::span<const int32_t> window, float repeat, float frequency, float presence,
               StageScratch& s) {
  if (window.empty() || (repeat == 1.0f && frequency == 0.0f && presence == 0.0f)) return;
  // Counts by id in a vocabulary-sized array: O(window) to fill and to clear, no hashing.
  s.touched.clear();
  for (int32_t t : window) {
    if (t < 0) continue;
    if (static_cast<size_t>(t) >= s.counts.size()) s.counts.resize(static_cast<size_t>(t) + 1, 0);
    if (s.counts[static_cast<size_t>(t)]++ == 0) s.touched.push_back(t);
  }
  if (c.dense()) {
    for (int32_t t : s.touched) {
      const auto i = static_cast<size_t>(t);
      if (i < c.size()) c.set_logit(i, penalised(c.logit(i), s.counts[i], repeat, frequency, presence));
    }
  } else {
    for (TokenLogit& x : c.list()) {
      const size_t id = static_cast<size_t>(x.id);
      if (id < s.counts.size() && s.counts[id] > 0)
        x.logit = penalised(x.logit, s.counts[id], repeat, frequency, presence);
    }
    c.mark_unsorted();  // changed logits may break a sorted prefix
  }
  for (int32_t t : s.touched) s.counts[static_cast<size_t>(t)] = 0;
}

}  // namespace mistralrs
