// Mirostat v1 and v2 (Basu et al. 2021, "Mirostat: a neural text decoding algorithm that
// directly controls perplexity"): a feedback loop that keeps the surprise -log2 p of the
// drawn tokens near a target tau. mu starts at 2 tau and after each draw moves by
//   mu <- mu - eta * (surprise - tau),
// with the surprise measured on the truncated, renormalised distribution.
//  v1: estimates the Zipf exponent s from the top 100 probabilities,
//        s = sum(t_i b_i) / sum(t_i^2),  t_i = ln((i+2)/(i+1)),  b_i = ln(p_i / p_{i+1}),
//      then keeps the top k, k = round(((s-1) 2^mu / (1 - N^-(s-1)))^(1/s)) in [1, n]
//      (N: the vocabulary size; at s = 1 the factor is its limit 1/ln N).
//  v2: keeps the tokens whose surprise is <= mu (at least the most likely one).
#pragma once
#include <cstddef>
#include <cstdint>

#include "sampling/candidates.h"
#include "sampling/rng.h"
#include "sampling/stages.h"

namespace mistralrs {

class Mirostat {
 public:
  Mirostat(int32_t version, float tau, float eta) : version_(version), tau_(tau), eta_(eta) { reset(); }
  void reset() { mu_ = 2.0f * tau_; }
  float mu() const { return mu_; }
  // Truncates `c`, draws one candidate from it with `rng` and updates mu. Returns the
  // index into the truncated `c`. `n_vocab` is N of v1.
  size_t sample(Candidates& c, size_t n_vocab, Rng& rng, StageScratch& s);
  // v1's k for the current mu (exposed for tests). Needs c sorted by sort_prefix(100).
  size_t v1_k(const Candidates& c, size_t n_vocab) const;

 private:
  int32_t version_;
  float tau_, eta_;
  float mu_ = 0.0f;
};

}  // namespace mistralrs
