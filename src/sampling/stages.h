// The logit-changing stages of the sampler chain, each a free function on Candidates.
// Every stage returns at once when its parameter says "off" (no pass over the vocabulary),
// and every truncation keeps at least `min_keep` candidates. Probabilities are the softmax
// of the candidates' current logits (temperature comes last in the default order).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "sampling/candidates.h"
#include "sampling/rng.h"

namespace mistralrs {

// Reused buffers, so that a stage allocates only while the vocabulary grows.
struct StageScratch {
  std::vector<float> probs;
  std::vector<float> aux;
  std::vector<double> mass;        // top-p: softmax weight per logit bucket
  std::vector<uint16_t> bucket;    // top-p: the bucket of each entry
  std::vector<TokenLogit> aside;   // top-p: the entries behind the crossing point
  std::vector<uint8_t> flags;
  std::vector<uint32_t> order;
  std::vector<uint32_t> counts;   // penalties: occurrences by token id
  std::vector<int32_t> touched;   // penalties: ids with a non-zero count
};

// ---- truncation.cpp ---------------------------------------------------------------------
// The k most likely; k <= 0 = off.
void top_k(Candidates& c, int32_t k, size_t min_keep);
// The most likely tokens whose cumulative probability first reaches p; p >= 1 = off.
// Sorts the best 64; past them, selects by mass with a logit histogram in O(n).
void top_p(Candidates& c, float p, size_t min_keep, StageScratch& s);
// Tokens with probability >= p * (the largest probability); p <= 0 = off.
void min_p(Candidates& c, float p, size_t min_keep);
// Locally typical sampling (Meister et al. 2022): ordered by |-log p - H|, the smallest
// set whose probability reaches p; the survivors keep their previous order. p >= 1 = off.
void typical(Candidates& c, float p, size_t min_keep, StageScratch& s);
// Top-n-sigma (Tang et al. 2024): logits >= max - n * (population std of the finite
// logits); n <= 0 = off.
void top_n_sigma(Candidates& c, float n, size_t min_keep);
// XTC ("exclude top choices"): when enabled (probability > 0, threshold <= 0.5) one draw
// r from `rng` per call; when r < probability and at least two tokens have probability
// >= threshold, all of those but the least likely are removed.
void xtc(Candidates& c, float probability, float threshold, size_t min_keep, Rng& rng, StageScratch& s);

// ---- temperature.cpp --------------------------------------------------------------------
// logit / t; t == 0 keeps only the most likely token (lowest id among ties).
void temperature(Candidates& c, float t);
// Entropy-scaled temperature (the "dynatemp" of koboldcpp/llama.cpp): with H the entropy
// of the candidates (at T = 1) and n the number of finite ones,
//   lo = max(0, t - range), hi = t + range, T = lo + (hi - lo) * (H / log n)^exponent,
// then temperature(T): a flat distribution is sampled hot, a peaked one cold.
// range <= 0: plain temperature t.
void dynamic_temperature(Candidates& c, float t, float range, float exponent, StageScratch& s);

// ---- penalties.cpp ----------------------------------------------------------------------
// Over the tokens of `window` (the last N accepted), for each token with count c:
//   logit = logit > 0 ? logit / repeat : logit * repeat;  logit -= c * frequency + presence.
void penalties(Candidates& c, std::span<const int32_t> window, float repeat, float frequency, float presence,
               StageScratch& s);

// ---- draw.cpp ---------------------------------------------------------------------------
// Index of the most likely candidate (the lowest id among equal logits).
size_t argmax_index(const Candidates& c);
// One draw from softmax(c): r = rng.next_float(), then the first index i (in candidate
// order) whose cumulative probability exceeds r. One generator step per draw.
size_t draw_index(const Candidates& c, Rng& rng, StageScratch& s);

}  // namespace mistralrs
