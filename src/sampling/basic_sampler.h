// Greedy and temperature sampling with top-k / top-p truncation: what the text pipeline
// uses until the full sampler chain (penalties, DRY, min-p, ...) replaces it.
#pragma once
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "sampling/rng.h"

namespace mistralrs {

struct BasicSamplingParams {
  float temperature = 0.0f;  // 0 = greedy (argmax)
  int32_t top_k = 0;         // 0 = off
  float top_p = 1.0f;        // 1 = off
  uint64_t seed = 0;
};

Status validate(const BasicSamplingParams& p);

// Index of the largest logit (the lowest index among ties).
int32_t argmax(const float* logits, int64_t n);

// Greedy when temperature == 0; otherwise softmax(logits / T) over the top-k / top-p
// candidates and one draw from `rng`. `scratch` is reused between calls.
int32_t sample_token(const float* logits, int64_t n, const BasicSamplingParams& p, Rng& rng,
                     std::vector<std::pair<float, int32_t>>& scratch);

}  // namespace mistralrs
