#include "pipeline/text_session.h"

#include <algorithm>
#include <chrono>

#include "pipeline/stop_strings.h"
#include "sampling/sampler_chain.h"
#include "tokenizer/utf8_stream.h"

namespace mistralrs {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Expected<std::unique_ptr<TextSession>> TextSession::create(const TextModel& model, ThreadPool* pool,
                                                           int64_t context_length, int64_t prefill_chunk,
                                                           bool exact_block_weights) {
  const LlamaModel& m = *model.model;
  if (context_length < 0) return invalid_argument("context_length must be >= 0");
  if (prefill_chunk < 0) return invalid_argument("prefill chunk size must be >= 0");
  if (context_length == 0) context_length = m.config().max_position_embeddings;
  if (prefill_chunk == 0) prefill_chunk = 256;
  prefill_chunk = std::min(prefill_chunk, context_length);
  auto s = std::unique_ptr<TextSession>(new TextSession(model, pool));
  s->ctx_.exact_block_weights = exact_block_weights;
  const ModelConfigMetadata meta = m.metadata();
  auto spec = kv_cache_spec(meta.cache_strategy);
  if (!spec) return spec.status();
  auto kv = KvStore::create(*spec.value(), context_length);
  if (!kv) return kv.status();
  s->kv_ = std::move(kv.value());
  auto ws = LlamaWorkspace::create(m.config(), prefill_chunk);
  if (!ws) return ws.status();
  s->ws_ = std::move(ws.value());
  s->logits_.resize(static_cast<size_t>(m.config().vocab_size));
  return s;
}

void TextSession::reset() {
  n_past_ = 0;
  history_.clear();
}

Status TextSession::check_tokens(const int32_t* tokens, size_t n) const {
  if (n > 0 && !tokens) return invalid_argument("tokens is NULL");
  const int64_t vocab = model_.model->config().vocab_size;
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return invalid_argument("token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                              " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  if (n_past_ + static_cast<int64_t>(n) > kv_.capacity())
    return invalid_argument(std::to_string(n) + " more tokens after " + std::to_string(n_past_) +
                            " exceed the context length " + std::to_string(kv_.capacity()));
  return Status::ok();
}

Status TextSession::eval(const int32_t* tokens, size_t n, float* logits, const std::atomic<bool>* cancel) {
  MISTRALRS_RETURN_IF_ERROR(check_tokens(tokens, n));
  if (n == 0) return invalid_argument("eval needs at least one token");
  int64_t pos = n_past_;
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min(n - done, static_cast<size_t>(ws_.max_tokens));
    const bool last = done + chunk == n;
    MISTRALRS_RETURN_IF_ERROR(model_.model->forward(ctx_, tokens + done, static_cast<int64_t>(chunk), pos,
                                                    kv_, ws_, last ? logits : nullptr, false, cancel));
    pos += static_cast<int64_t>(chunk);
    done += chunk;
  }
  n_past_ = pos;
  history_.insert(history_.end(), tokens, tokens + n);
  return Status::ok();
}

Expected<FinishReason> TextSession::generate(const std::vector<int32_t>& prompt, const GenerateParams& p,
                                             const TokenCallback& on_token,
                                             const std::atomic<bool>* cancel, GenerationStats* stats) {
  if (p.max_tokens < 0) return invalid_argument("max_tokens must be >= 0");
  const Tokenizer* tok = model_.tokenizer.get();
  auto chain = SamplerChain::create(p.sampling, tok, static_cast<int32_t>(kv_.capacity()));
  if (!chain) return chain.status();
  // Penalties and DRY look back over the whole context, prompt included.
  for (int32_t t : history_) MISTRALRS_RETURN_IF_ERROR(chain.value()->accept(t));
  for (int32_t t : prompt) MISTRALRS_RETURN_IF_ERROR(chain.value()->accept(t));
  if (!tok && !p.stop_strings.empty()) return invalid_argument("stop strings need a tokenizer");
  if (prompt.empty() && n_past_ == 0) return invalid_argument("empty prompt and empty session");
  GenerationStats local;
  GenerationStats& st = stats ? *stats : local;
  st = GenerationStats{};
  const auto t0 = std::chrono::steady_clock::now();
  if (!prompt.empty()) {
    Status s = eval(prompt.data(), prompt.size(), logits_.data(), cancel);
    if (s.code() == StatusCode::kCancelled) return FinishReason::kCancelled;
    MISTRALRS_RETURN_IF_ERROR(s);
  } else {
    // Continue from the session: recompute the logits of its last token.
    const int32_t last = history_.back();
    n_past_ -= 1;
    history_.pop_back();
    MISTRALRS_RETURN_IF_ERROR(eval(&last, 1, logits_.data(), cancel));
  }
  st.prompt_tokens = static_cast<int64_t>(prompt.size());
  st.prompt_seconds = seconds_since(t0);

  const auto t1 = std::chrono::steady_clock::now();
  Utf8Stream utf8;
  StopStringFilter stops(p.stop_strings);
  const int32_t eos = tok ? tok->eos_id() : -1;
  const auto& eos_ids = model_.model->config().eos_token_ids;
  FinishReason reason = FinishReason::kMaxTokens;
  for (int32_t i = 0;; ++i) {
    if (i == p.max_tokens) break;
    if (cancel && cancel->load()) {
      reason = FinishReason::kCancelled;
      break;
    }
    auto sampled = chain.value()->sample(logits_.data(), logits_.size());
    if (!sampled) return sampled.status();
    const int32_t token = sampled.value();
    MISTRALRS_RETURN_IF_ERROR(chain.value()->accept(token));
    const bool is_eos = token == eos || std::find(eos_ids.begin(), eos_ids.end(), token) != eos_ids.end();
    if (is_eos && !p.ignore_eos) {
      reason = FinishReason::kEos;
      break;
    }
    st.generated_tokens++;
    std::string text;
    if (tok) {
      // A leading space is kept: generated text continues the prompt.
      text = stops.push(utf8.push(tok->token_bytes(token, false)));
    }
    if (on_token && !on_token(token, text)) {
      reason = FinishReason::kCallbackStop;
      break;
    }
    if (stops.stopped()) {
      reason = FinishReason::kStopString;
      break;
    }
    if (n_past_ >= kv_.capacity()) {
      reason = FinishReason::kContextFull;
      break;
    }
    Status s = eval(&token, 1, logits_.data(), cancel);
    if (s.code() == StatusCode::kCancelled) {
      reason = FinishReason::kCancelled;
      break;
    }
    MISTRALRS_RETURN_IF_ERROR(s);
  }
  // Text held for a possible stop string or an unfinished character goes out at the end.
  if (tok && reason != FinishReason::kStopString && on_token) {
    std::string rest = stops.push(utf8.flush()) + stops.flush();
    if (!rest.empty()) on_token(-1, rest);
  }
  st.generate_seconds = seconds_since(t1);
  return reason;
}

}  // namespace mistralrs
