#include "pipeline/text_generation.h"

#include <algorithm>
#include <chrono>

namespace mistralrs {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Expected<std::unique_ptr<TextGeneration>> TextGeneration::start(TextSession& s, std::vector<int32_t> prompt,
                                                                const GenerateParams& p, TokenCallback on_token,
                                                                GenerationStats* stats) {
  if (p.max_tokens < 0) return invalid_argument("max_tokens must be >= 0");
  const Tokenizer* tok = s.model_.tokenizer.get();
  if (!tok && !p.stop_strings.empty()) return invalid_argument("stop strings need a tokenizer");
  if (prompt.empty() && s.n_past_ == 0) return invalid_argument("empty prompt and empty session");
  auto g = std::unique_ptr<TextGeneration>(new TextGeneration(s, p));
  auto chain = SamplerChain::create(p.sampling, tok, static_cast<int32_t>(s.context_length_));
  if (!chain) return chain.status();
  g->chain_ = std::move(chain.value());
  for (int32_t t : s.history_) MISTRALRS_RETURN_IF_ERROR(g->chain_->accept(t));
  for (int32_t t : prompt) MISTRALRS_RETURN_IF_ERROR(g->chain_->accept(t));
  g->device_greedy_ = s.on_device() && samples_raw_argmax(p.sampling);
  g->prompt_ = std::move(prompt);
  g->on_token_ = std::move(on_token);
  if (stats) g->stats_ = stats;
  *g->stats_ = GenerationStats{};
  return g;
}

Expected<bool> TextGeneration::step(const std::atomic<bool>* cancel) {
  if (done_) return true;
  return prefilled_ ? decode_one(cancel) : prefill(cancel);
}

Expected<bool> TextGeneration::prefill(const std::atomic<bool>* cancel) {
  const double t0 = now_seconds();
  Status st;
  if (!prompt_.empty()) {
    st = eval_next(prompt_.data(), prompt_.size(), cancel);
  } else {
    // Continue from the session: recompute the logits of its last token.
    const int32_t last = s_.history_.back();
    s_.n_past_ -= 1;
    s_.history_.pop_back();
    st = eval_next(&last, 1, cancel);
  }
  if (st.code() == StatusCode::kCancelled) return finish(FinishReason::kCancelled);
  MISTRALRS_RETURN_IF_ERROR(st);
  stats_->prompt_tokens = static_cast<int64_t>(prompt_.size());
  stats_->prompt_seconds = now_seconds() - t0;
  prefilled_ = true;
  decode_started_ = now_seconds();
  if (p_.max_tokens == 0) return finish(FinishReason::kMaxTokens);
  return false;
}

Expected<bool> TextGeneration::decode_one(const std::atomic<bool>* cancel) {
  if (cancel && cancel->load()) return finish(FinishReason::kCancelled);
  int32_t token = next_;
  if (device_greedy_) {
    if (token < 0) return invalid_argument("every token's logit is -inf (or NaN): nothing to sample");
  } else {
    auto sampled = chain_->sample(s_.logits_.data(), s_.logits_.size());
    if (!sampled) return sampled.status();
    token = sampled.value();
  }
  MISTRALRS_RETURN_IF_ERROR(chain_->accept(token));
  const Tokenizer* tok = s_.model_.tokenizer.get();
  const int32_t eos = tok ? tok->eos_id() : -1;
  const auto& eos_ids = s_.model_.model->config().eos_token_ids;
  const bool is_eos = token == eos || std::find(eos_ids.begin(), eos_ids.end(), token) != eos_ids.end();
  if (is_eos && !p_.ignore_eos) return finish(FinishReason::kEos);
  stats_->generated_tokens++;
  // A leading space is kept: generated text continues the prompt.
  const std::string text = tok ? stops_.push(utf8_.push(tok->token_bytes(token, false))) : std::string();
  if (on_token_ && !on_token_(token, text)) return finish(FinishReason::kCallbackStop);
  if (stops_.stopped()) return finish(FinishReason::kStopString);
  if (s_.n_past_ >= s_.context_length_) return finish(FinishReason::kContextFull);
  // The token joins the session (so a later request continues after it), then its logits
  // are ready for the next step.
  Status st = eval_next(&token, 1, cancel);
  if (st.code() == StatusCode::kCancelled) return finish(FinishReason::kCancelled);
  MISTRALRS_RETURN_IF_ERROR(st);
  if (stats_->generated_tokens == p_.max_tokens) return finish(FinishReason::kMaxTokens);
  return false;
}

Status TextGeneration::eval_next(const int32_t* tokens, size_t n, const std::atomic<bool>* cancel) {
  if (device_greedy_) return s_.eval_argmax(tokens, n, &next_, cancel);
  return s_.eval(tokens, n, s_.logits_.data(), cancel);
}

bool TextGeneration::finish(FinishReason reason) {
  reason_ = reason;
  done_ = true;
  // Text held for a possible stop string or an unfinished character goes out at the end.
  if (s_.model_.tokenizer && reason != FinishReason::kStopString && on_token_) {
    const std::string rest = stops_.push(utf8_.flush()) + stops_.flush();
    if (!rest.empty()) on_token_(-1, rest);
  }
  if (prefilled_) stats_->generate_seconds = now_seconds() - decode_started_;
  return true;
}

}  // namespace mistralrs
