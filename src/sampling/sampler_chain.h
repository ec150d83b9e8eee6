// The sampler chain: logit bias, penalties, DRY, truncations and temperature in a
// configurable order (SamplerParams::order), then the draw (argmax, a seeded draw or
// mirostat). Disabled stages cost nothing; with mirostat on, the truncation stages
// (top-n-sigma, top-k, typical, top-p, min-p, XTC) are skipped, because mirostat chooses
// its own truncation from mu.
//
// Randomness: the draw and mirostat use Rng(seed); XTC its own Rng(seed ^ kXtcSeedSalt)
// stream, so turning XTC on does not shift the draws. reset() restarts both streams.
// Not thread-safe: one chain per generating sequence.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "sampling/candidates.h"
#include "sampling/dry.h"
#include "sampling/mirostat.h"
#include "sampling/rng.h"
#include "sampling/sampler_params.h"
#include "sampling/stages.h"
#include "sampling/token_history.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

inline constexpr uint64_t kXtcSeedSalt = 0x5854430000000000ull;  // "XTC"

class SamplerChain {
 public:
  // `tokenizer` (may be null) is needed only for DRY breakers given as text; it also
  // bounds token ids. `context_length` resolves the windows given as -1 (0: unknown, and
  // then -1 windows on enabled stages are an error).
  static Expected<std::unique_ptr<SamplerChain>> create(const SamplerParams& params, const Tokenizer* tokenizer,
                                                        int32_t context_length);

  // Adds a token to the history the penalties and DRY read.
  Status accept(int32_t token);
  // Forgets the history, restarts the random streams and mirostat's mu.
  void reset();
  // The logit-changing stages in place: changed logits, truncated tokens as -inf.
  // Mirostat's truncation and the draw are not applied. XTC, if on, consumes its draw.
  Status apply(float* logits, size_t n_vocab);
  // The whole chain and the draw. Does not accept the token.
  Expected<int32_t> sample(const float* logits, size_t n_vocab);
  // The stages (not the draw) on a caller's candidate list; n_vocab bounds bias tokens.
  Status run_stages(Candidates& c, size_t n_vocab);

  const SamplerParams& params() const { return p_; }
  const DryBreakerTable& dry_table() const { return dry_table_; }
  size_t history_size() const { return history_.size(); }
  float mirostat_mu() const { return mirostat_.mu(); }

 private:
  SamplerChain(const SamplerParams& p, int32_t context_length);
  size_t window(int32_t last_n) const;  // -1 = the context length
  Status run_stage(SamplerStage s, Candidates& c, size_t n_vocab);
  Status check_live(const Candidates& c) const;

  SamplerParams p_;
  int32_t context_length_ = 0;
  int32_t vocab_size_ = 0;  // 0 when no tokenizer was given
  DryBreakerTable dry_table_;
  TokenHistory history_;
  Rng rng_, xtc_rng_;
  Mirostat mirostat_;
  std::vector<LogitDelta> bias_;
  Candidates cands_;
  StageScratch scratch_;
  DryScratch dry_scratch_;
  std::vector<LogitDelta> dry_out_;
};

}  // namespace mistralrs
