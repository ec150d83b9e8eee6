// Parameters of the sampler chain (sampling/sampler_chain.h) and their validation.
//
// A default-constructed SamplerParams has every stage off: temperature 1, no truncation,
// no penalty, no bias, no DRY, a seeded draw. `request_defaults()` is the separate set a
// chat front end usually wants (documented there). Each check_* function validates one
// setter's arguments; validate() runs all of them, so a C setter and the sampler's
// constructor reject the same values with the same message.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace mistralrs {

// Stage ids: the numbers are the MISTRALRS_SAMPLER_STAGE_* constants of the C API.
enum class SamplerStage : int32_t {
  kLogitBias = 0,
  kPenalties = 1,
  kDry = 2,
  kTopNSigma = 3,
  kTopK = 4,
  kTypical = 5,
  kTopP = 6,
  kMinP = 7,
  kXtc = 8,
  kTemperature = 9,
};
inline constexpr int32_t kNumSamplerStages = 10;

// Logit bias, then the order of the issue: penalties, DRY, top-n-sigma, top-k, typical,
// top-p, min-p, XTC, temperature. The draw always comes last and is not part of the order.
std::vector<SamplerStage> default_sampler_order();
const char* sampler_stage_name(SamplerStage s);

// Breaker text is capped because the head/tail table is built from every suffix of every
// breaker against every vocabulary entry (cost: vocab x bytes^2 byte compares); 40 bytes
// covers role markers such as "<|im_start|>assistant". The tail (the tokenization of what
// follows a head) is capped at 8 tokens so that checking one head costs at most 8 compares;
// a tail cut there matches a little early, which can only stop a DRY match sooner.
inline constexpr size_t kDryMaxBreakerBytes = 40;
inline constexpr size_t kDryMaxTailTokens = 8;

// A DRY sequence breaker: text (tokenized against the vocabulary, needs a tokenizer) or
// token ids given directly (head first, then its tail; one id = a single-token breaker).
struct DryBreaker {
  std::string text;
  std::vector<int32_t> tokens;
  bool is_text() const { return tokens.empty(); }
};

struct DryParams {
  float multiplier = 0.0f;      // 0 = off; 0.8 is the usual setting
  float base = 1.75f;           // >= 1 when multiplier != 0
  int32_t allowed_length = 2;   // repeats shorter than this are free; >= 1
  int32_t penalty_last_n = -1;  // 0 = off, -1 = the context length, N = the last N tokens
  // "\n", ":", "\"", "*" as in the original proposal.
  std::vector<DryBreaker> breakers = default_dry_breakers();

  static std::vector<DryBreaker> default_dry_breakers();
  bool enabled() const { return multiplier > 0.0f && base >= 1.0f && penalty_last_n != 0; }
};

struct LogitBias {
  int32_t token = 0;
  float bias = 0.0f;  // added to the logit; -inf bans the token
};

struct SamplerParams {
  uint64_t seed = 0;
  bool greedy = false;              // argmax instead of the seeded draw
  float temperature = 1.0f;         // 0 = keep only the most likely token
  float dynatemp_range = 0.0f;      // 0 = off; else T in [T - range, T + range] by entropy
  float dynatemp_exponent = 1.0f;
  int32_t top_k = 0;                // 0 or -1 = off
  float top_p = 1.0f;               // 1 = off
  float min_p = 0.0f;               // 0 = off
  float typical_p = 1.0f;           // 1 = off
  float top_n_sigma = 0.0f;         // 0 or -1 = off
  float xtc_probability = 0.0f;     // 0 = off
  float xtc_threshold = 0.1f;       // > 0.5 = off
  int32_t min_keep = 1;             // truncation stages keep at least this many tokens
  int32_t mirostat = 0;             // 0 = off, 1 or 2 (replaces the truncation stages)
  float mirostat_tau = 5.0f;
  float mirostat_eta = 0.1f;
  int32_t penalty_last_n = 64;      // 0 = off, -1 = the context length
  float repeat_penalty = 1.0f;      // 1 = off
  float frequency_penalty = 0.0f;   // 0 = off
  float presence_penalty = 0.0f;    // 0 = off
  std::vector<LogitBias> logit_bias;
  DryParams dry;
  std::vector<SamplerStage> order = default_sampler_order();

  bool penalties_enabled() const {
    return penalty_last_n != 0 &&
           (repeat_penalty != 1.0f || frequency_penalty != 0.0f || presence_penalty != 0.0f);
  }
  // llama.cpp's common defaults with DRY off: temperature 0.8, top-k 40, top-p 0.95,
  // min-p 0.05, penalties over the last 64 tokens (repeat 1 = off).
  static SamplerParams request_defaults();
};

Status check_temperature(float temperature);
Status check_dynamic_temperature(float range, float exponent);
Status check_top_k(int32_t k);
Status check_probability(const char* name, float v);  // in [0, 1]
Status check_top_n_sigma(float n);
Status check_min_keep(int32_t n);
Status check_mirostat(int32_t version, float tau, float eta);
Status check_penalties(int32_t last_n, float repeat, float frequency, float presence);
Status check_logit_bias(int32_t token, float bias);
Status check_dry(float multiplier, float base, int32_t allowed_length, int32_t penalty_last_n);
Status check_dry_breaker(const DryBreaker& b);
Status check_order(std::span<const SamplerStage> order);
Status check_order_ids(std::span<const int32_t> ids);
Status validate(const SamplerParams& p);

}  // namespace mistralrs
