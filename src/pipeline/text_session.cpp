#include "pipeline/text_session.h"

#include <algorithm>
#include <cstring>

#include "pipeline/text_generation.h"

namespace mistralrs {

bool samples_raw_argmax(const SamplerParams& p) {
  // Temperature 0 keeps the top logit and 1 changes nothing; another temperature could
  // round two close logits to a tie, so only these two qualify.
  return p.greedy && p.mirostat == 0 && p.logit_bias.empty() && !p.penalties_enabled() && !p.dry.enabled() &&
         (p.temperature == 0.0f || p.temperature == 1.0f) && p.dynatemp_range == 0.0f && p.top_k <= 0 &&
         p.top_p >= 1.0f && p.min_p <= 0.0f && p.typical_p >= 1.0f && p.top_n_sigma <= 0.0f &&
         p.xtc_probability <= 0.0f;
}

Expected<std::unique_ptr<TextSession>> TextSession::create(const TextModel& model, ThreadPool* pool,
                                                           int64_t context_length, int64_t prefill_chunk,
                                                           bool exact_block_weights, bool use_cuda_graph) {
  const LlamaModel& m = *model.model;
  if (context_length < 0) return invalid_argument("context_length must be >= 0");
  if (prefill_chunk < 0) return invalid_argument("prefill chunk size must be >= 0");
  if (context_length == 0) context_length = m.config().max_position_embeddings;
  if (prefill_chunk == 0) prefill_chunk = 256;
  prefill_chunk = std::min(prefill_chunk, context_length);
  auto s = std::unique_ptr<TextSession>(new TextSession(model, pool));
  s->ctx_.exact_block_weights = exact_block_weights;
  const ModelConfigMetadata meta = m.metadata();
  if (m.device().is_cuda()) {
    s->context_length_ = context_length;
    MISTRALRS_RETURN_IF_ERROR(s->create_device_state(meta, prefill_chunk, use_cuda_graph));
    s->logits_.resize(static_cast<size_t>(m.config().vocab_size));
    return s;
  }
  auto spec = kv_cache_spec(meta.cache_strategy);
  if (!spec) return spec.status();
  // Sliding window W: queries see keys less than W positions back, and one step adds at most
  // a prefill chunk, so W + chunk rows hold all a step reads, whatever the context length.
  const int64_t window = m.config().sliding_window;
  const int64_t rows = window > 0 ? std::min(context_length, window + prefill_chunk) : context_length;
  s->context_length_ = context_length;
  auto kv = KvStore::create(*spec.value(), rows);
  if (!kv) return kv.status();
  s->kv_ = std::move(kv.value());
  if (model.kv_pool) {
    // The whole buffer is charged up front, so a session never runs out mid-generation.
    const int64_t bytes = s->kv_.bytes();
    if (model.prefix_cache) model.prefix_cache->make_room(bytes);
    MISTRALRS_RETURN_IF_ERROR(model.kv_pool->reserve(
        bytes, "a session's KV buffer of " + std::to_string(rows) + " tokens"));
    s->reserved_bytes_ = bytes;
  }
  auto ws = LlamaWorkspace::create(m.config(), prefill_chunk);
  if (!ws) return ws.status();
  s->ws_ = std::move(ws.value());
  s->logits_.resize(static_cast<size_t>(m.config().vocab_size));
  return s;
}

Status TextSession::create_device_state(const ModelConfigMetadata& meta, int64_t prefill_chunk, bool use_graph) {
  const LlamaModel& m = *model_.model;
  auto spec = kv_cache_spec(meta.cache_strategy);
  if (!spec) return spec.status();
  KvCache device_spec = *spec.value();
  device_spec.dtype = m.kv_dtype();
  const int64_t rows = context_length_;
  if (model_.kv_pool) {
    // Charged before allocating (the same bytes KvStore::bytes() will report), so a budget
    // refusal costs no device memory.
    int64_t width = 0;
    for (const KvLayerShape& l : device_spec.layers) width += l.n_kv_heads * l.head_dim;
    const int64_t bytes = 2 * rows * dtype_bytes(device_spec.dtype, width);
    MISTRALRS_RETURN_IF_ERROR(model_.kv_pool->reserve(
        bytes, "a session's KV buffer of " + std::to_string(rows) + " tokens on " + m.device().to_string()));
    reserved_bytes_ = bytes;
  }
  auto kv = KvStore::create(device_spec, rows, m.device());
  if (!kv) return kv.status();
  kv_ = std::move(kv.value());
  auto runner = LlamaCudaRunner::create(m, prefill_chunk, use_graph);
  if (!runner) return runner.status();
  runner_ = std::move(runner.value());
  return Status::ok();
}

TextSession::~TextSession() {
  if (model_.kv_pool && reserved_bytes_ > 0) model_.kv_pool->unreserve(reserved_bytes_);
}

void TextSession::reset() {
  n_past_ = 0;
  history_.clear();
  published_blocks_ = 0;
  kv_base_ = 0;
}

void TextSession::drop_rows(int64_t new_base, int64_t end) {
  const int64_t from = new_base - kv_base_, keep = end - new_base;
  for (int64_t l = 0; l < kv_.n_layers(); ++l)
    for (const TensorView* v : {&kv_.keys(l), &kv_.values(l)}) {
      float* d = static_cast<float*>(v->data);
      std::memmove(d, d + from * v->strides[0], static_cast<size_t>(keep * v->strides[0]) * sizeof(float));
    }
  kv_base_ = new_base;
}

void TextSession::publish_blocks() {
  PrefixBlockCache* cache = model_.prefix_cache.get();
  // Once rows were dropped the early blocks are gone; what was published before stays.
  if (!cache || kv_base_ > 0 || n_past_ / cache->pool().block_size() <= published_blocks_) return;
  cache->publish(history_.data(), n_past_, kv_);
  published_blocks_ = n_past_ / cache->pool().block_size();
}

Status TextSession::check_tokens(const int32_t* tokens, size_t n) const {
  if (n > 0 && !tokens) return invalid_argument("tokens is NULL");
  const int64_t vocab = model_.model->config().vocab_size;
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return invalid_argument("token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                              " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
  if (n_past_ + static_cast<int64_t>(n) > context_length_)
    return invalid_argument(std::to_string(n) + " more tokens after " + std::to_string(n_past_) +
                            " exceed the context length " + std::to_string(context_length_));
  return Status::ok();
}

Status TextSession::eval_device(const int32_t* tokens, size_t n, float* logits, int32_t* next_token,
                                const std::atomic<bool>* cancel) {
  MISTRALRS_RETURN_IF_ERROR(check_tokens(tokens, n));
  if (n == 0) return invalid_argument("eval needs at least one token");
  const int64_t max_chunk = runner_->max_tokens();
  int64_t pos = n_past_;
  size_t done = 0;
  while (done < n) {
    // Chunk boundaries at multiples of the chunk size, as on the CPU.
    const int64_t chunk_end = (pos / max_chunk + 1) * max_chunk;
    const size_t chunk = std::min(n - done, static_cast<size_t>(chunk_end - pos));
    const bool last = done + chunk == n;
    MISTRALRS_RETURN_IF_ERROR(runner_->forward(ctx_, tokens + done, static_cast<int64_t>(chunk), pos, kv_,
                                               last ? logits : nullptr, last ? next_token : nullptr, cancel));
    pos += static_cast<int64_t>(chunk);
    done += chunk;
  }
  n_past_ = pos;
  history_.insert(history_.end(), tokens, tokens + n);
  if (warn_ && !warned_ && !runner_->graph_note().empty()) {
    warned_ = true;
    warn_(runner_->graph_note());
  }
  return Status::ok();
}

Status TextSession::eval_argmax(const int32_t* tokens, size_t n, int32_t* next_token,
                                const std::atomic<bool>* cancel) {
  if (!runner_) return invalid_argument("eval_argmax: the session is not on a CUDA device");
  if (!next_token) return invalid_argument("eval_argmax: next_token is NULL");
  return eval_device(tokens, n, nullptr, next_token, cancel);
}

Status TextSession::eval(const int32_t* tokens, size_t n, float* logits, const std::atomic<bool>* cancel) {
  if (runner_) return eval_device(tokens, n, logits, nullptr, cancel);
  MISTRALRS_RETURN_IF_ERROR(check_tokens(tokens, n));
  if (n == 0) return invalid_argument("eval needs at least one token");
  int64_t pos = n_past_;
  size_t done = 0;
  const int64_t window = model_.model->config().sliding_window;
  bool dropped = false;
  if (pos == 0 && model_.prefix_cache && n > 1) {
    done = static_cast<size_t>(model_.prefix_cache->lookup(tokens, static_cast<int64_t>(n) - 1, kv_));
    pos = static_cast<int64_t>(done);
  }
  while (done < n) {
    // Chunks end at multiples of the chunk size in absolute positions, so a request that
    // starts after reused prefix rows computes every later row in the same chunk, and the
    // same matmul row tile, as a request computing the whole prompt: bitwise-equal logits.
    const int64_t chunk_end = (pos / ws_.max_tokens + 1) * ws_.max_tokens;
    const size_t chunk = std::min(n - done, static_cast<size_t>(chunk_end - pos));
    const bool last = done + chunk == n;
    if (pos + static_cast<int64_t>(chunk) - kv_base_ > kv_.capacity()) {
      // Only a sliding-window buffer fills before the context does (check_tokens): keep the
      // last `window` rows, enough for every later query and for re-running the last token.
      drop_rows(pos - window, pos);
      dropped = true;
    }
    Status st = model_.model->forward(ctx_, tokens + done, static_cast<int64_t>(chunk), pos, kv_, ws_,
                                      last ? logits : nullptr, false, cancel, kv_base_);
    if (!st.is_ok()) {
      // After dropping rows the buffer no longer holds the state before this call: commit
      // the chunks that completed instead (a sliding-window session's long prompt only).
      if (dropped) {
        n_past_ = pos;
        history_.insert(history_.end(), tokens, tokens + done);
      }
      return st;
    }
    pos += static_cast<int64_t>(chunk);
    done += chunk;
  }
  n_past_ = pos;
  history_.insert(history_.end(), tokens, tokens + n);
  publish_blocks();
  return Status::ok();
}

Expected<FinishReason> TextSession::generate(const std::vector<int32_t>& prompt, const GenerateParams& p,
                                             const TokenCallback& on_token,
                                             const std::atomic<bool>* cancel, GenerationStats* stats) {
  auto run = TextGeneration::start(*this, prompt, p, on_token, stats);
  if (!run) return run.status();
  MISTRALRS_RETURN_IF_ERROR(run_to_completion(*run.value(), cancel));
  return run.value()->finish_reason();
}

}  // namespace mistralrs
