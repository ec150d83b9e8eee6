#include "sampling/sampler_chain.h"

#include <algorithm>
#include <limits>

namespace mistralrs {

namespace {

bool is_truncation(SamplerStage s) {
  switch (s) {
    case SamplerStage::kTopNSigma:
    case SamplerStage::kTopK:
    case SamplerStage::kTypical:
    case SamplerStage::kTopP:
    case SamplerStage::kMinP:
    case SamplerStage::kXtc: return true;
    default: return false;
  }
}

Status check_window_resolvable(const char* name, bool enabled, int32_t last_n, int32_t context_length) {
  if (enabled && last_n == -1 && context_length == 0)
    return invalid_argument(std::string(name) + " is -1 (the context length) but the context length is not given");
  return Status::ok();
}

Status check_token_ids(const SamplerParams& p, int32_t vocab) {
  for (const LogitBias& b : p.logit_bias)
    if (b.token >= vocab)
      return invalid_argument("logit bias token " + std::to_string(b.token) + " is outside the vocabulary of " +
                              std::to_string(vocab));
  for (const DryBreaker& b : p.dry.breakers)
    for (int32_t t : b.tokens)
      if (t >= vocab)
        return invalid_argument("DRY breaker token " + std::to_string(t) + " is outside the vocabulary of " +
                                std::to_string(vocab));
  return Status::ok();
}

}  // namespace

SamplerChain::SamplerChain(const SamplerParams& p, int32_t context_length)
    : p_(p),
      context_length_(context_length),
      rng_(p.seed),
      xtc_rng_(p.seed ^ kXtcSeedSalt),
      mirostat_(p.mirostat, p.mirostat_tau, p.mirostat_eta) {
  for (const LogitBias& b : p.logit_bias) bias_.push_back({b.token, b.bias});
}

Expected<std::unique_ptr<SamplerChain>> SamplerChain::create(const SamplerParams& p, const Tokenizer* tokenizer,
                                                            int32_t context_length) {
  MISTRALRS_RETURN_IF_ERROR(validate(p));
  if (context_length < 0)
    return invalid_argument("context_length must be >= 0 (0 = unknown), got " + std::to_string(context_length));
  MISTRALRS_RETURN_IF_ERROR(
      check_window_resolvable("penalty_last_n", p.penalties_enabled(), p.penalty_last_n, context_length));
  MISTRALRS_RETURN_IF_ERROR(
      check_window_resolvable("DRY penalty_last_n", p.dry.enabled(), p.dry.penalty_last_n, context_length));
  if (tokenizer) MISTRALRS_RETURN_IF_ERROR(check_token_ids(p, tokenizer->vocab_size()));
  auto chain = std::unique_ptr<SamplerChain>(new SamplerChain(p, context_length));
  chain->vocab_size_ = tokenizer ? tokenizer->vocab_size() : 0;
  if (p.dry.enabled()) {
    auto table = DryBreakerTable::build(p.dry.breakers, tokenizer);
    if (!table) return table.status();
    chain->dry_table_ = std::move(table.value());
  }
  size_t capacity = 0;
  if (p.penalties_enabled()) capacity = std::max(capacity, chain->window(p.penalty_last_n));
  if (p.dry.enabled()) capacity = std::max(capacity, chain->window(p.dry.penalty_last_n));
  chain->history_ = TokenHistory(capacity);
  return chain;
}

size_t SamplerChain::window(int32_t last_n) const {
  return static_cast<size_t>(last_n == -1 ? context_length_ : last_n);
}

Status SamplerChain::accept(int32_t token) {
  if (token < 0 || (vocab_size_ > 0 && token >= vocab_size_))
    return invalid_argument("token " + std::to_string(token) + " is outside the vocabulary" +
                            (vocab_size_ > 0 ? " of " + std::to_string(vocab_size_) : std::string()));
  history_.push(token);
  return Status::ok();
}

void SamplerChain::reset() {
  history_.clear();
  rng_.reseed(p_.seed);
  xtc_rng_.reseed(p_.seed ^ kXtcSeedSalt);
  mirostat_.reset();
}

Status SamplerChain::run_stage(SamplerStage s, Candidates& c, size_t n_vocab) {
  const size_t keep = static_cast<size_t>(p_.min_keep);
  switch (s) {
    case SamplerStage::kLogitBias:
      for (const LogitDelta& b : bias_)
        if (static_cast<size_t>(b.token) >= n_vocab)
          return invalid_argument("logit bias token " + std::to_string(b.token) + " is outside the " +
                                  std::to_string(n_vocab) + " logits");
      c.add_deltas(bias_);
      return Status::ok();
    case SamplerStage::kPenalties:
      if (p_.penalties_enabled())
        penalties(c, history_.last(window(p_.penalty_last_n)), p_.repeat_penalty, p_.frequency_penalty,
                  p_.presence_penalty, scratch_);
      return Status::ok();
    case SamplerStage::kDry:
      if (p_.dry.enabled()) {
        dry_deltas(history_.last(window(p_.dry.penalty_last_n)), dry_table_, p_.dry, dry_scratch_, dry_out_);
        c.add_deltas(dry_out_);
      }
      return Status::ok();
    case SamplerStage::kTopNSigma: top_n_sigma(c, p_.top_n_sigma, keep); break;
    case SamplerStage::kTopK: top_k(c, p_.top_k, keep); break;
    case SamplerStage::kTypical: typical(c, p_.typical_p, keep, scratch_); break;
    case SamplerStage::kTopP: top_p(c, p_.top_p, keep, scratch_); break;
    case SamplerStage::kMinP: min_p(c, p_.min_p, keep); break;
    case SamplerStage::kXtc: xtc(c, p_.xtc_probability, p_.xtc_threshold, keep, xtc_rng_, scratch_); break;
    case SamplerStage::kTemperature:
      dynamic_temperature(c, p_.temperature, p_.dynatemp_range, p_.dynatemp_exponent, scratch_);
      break;
  }
  return Status::ok();
}

Status SamplerChain::run_stages(Candidates& c, size_t n_vocab) {
  for (SamplerStage s : p_.order) {
    if (p_.mirostat != 0 && is_truncation(s)) continue;
    MISTRALRS_RETURN_IF_ERROR(run_stage(s, c, n_vocab));
  }
  return Status::ok();
}

Status SamplerChain::check_live(const Candidates& c) const {
  if (c.empty() || c.max_logit() == -std::numeric_limits<float>::infinity())
    return invalid_argument("every token's logit is -inf: nothing to sample");
  return Status::ok();
}

Status SamplerChain::apply(float* logits, size_t n_vocab) {
  if (n_vocab == 0) return invalid_argument("n_vocab is 0");
  if (n_vocab > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return invalid_argument("n_vocab does not fit token ids");
  MISTRALRS_RETURN_IF_ERROR(cands_.assign_full(logits, n_vocab));
  MISTRALRS_RETURN_IF_ERROR(run_stages(cands_, n_vocab));
  cands_.write_row(logits, n_vocab);
  return Status::ok();
}

Expected<int32_t> SamplerChain::sample(const float* logits, size_t n_vocab) {
  if (n_vocab == 0) return invalid_argument("n_vocab is 0");
  if (n_vocab > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return invalid_argument("n_vocab does not fit token ids");
  MISTRALRS_RETURN_IF_ERROR(cands_.assign_full(logits, n_vocab));
  MISTRALRS_RETURN_IF_ERROR(run_stages(cands_, n_vocab));
  MISTRALRS_RETURN_IF_ERROR(check_live(cands_));
  size_t i;
  if (p_.mirostat != 0) i = mirostat_.sample(cands_, n_vocab, rng_, scratch_);
  else if (p_.greedy) i = argmax_index(cands_);
  else i = draw_index(cands_, rng_, scratch_);
  return cands_.id(i);
}

}  // namespace mistralrs
