#include "models/llama/llama_model.h"

#include <cstring>

#include "models/llama/llama_views.h"

namespace mistralrs {

namespace {
using llama_views::as_heads;
using llama_views::rows;
}  // namespace

Expected<LlamaWorkspace> LlamaWorkspace::create(const ModelConfig& c, int64_t max_tokens) {
  LlamaWorkspace ws;
  ws.max_tokens = max_tokens;
  const int64_t q_width = c.num_attention_heads * c.head_dim;
  struct Item {
    Tensor* t;
    Shape s;
    DType d;
  };
  const Item items[] = {{&ws.x, {max_tokens, c.hidden_size}, DType::kF32},
                        {&ws.h, {max_tokens, c.hidden_size}, DType::kF32},
                        {&ws.q, {max_tokens, q_width}, DType::kF32},
                        {&ws.attn, {max_tokens, q_width}, DType::kF32},
                        {&ws.gate, {max_tokens, c.intermediate_size}, DType::kF32},
                        {&ws.up, {max_tokens, c.intermediate_size}, DType::kF32},
                        {&ws.ids, {max_tokens}, DType::kI32},
                        {&ws.last, {1, c.hidden_size}, DType::kF32}};
  for (const Item& it : items) {
    auto t = Tensor::empty(it.s, it.d);
    if (!t) return t.status();
    *it.t = std::move(t.value());
  }
  return ws;
}

ModelConfigMetadata LlamaModel::metadata() const {
  ModelConfigMetadata m;
  m.max_seq_len = config_.max_position_embeddings;
  m.hidden_size = config_.hidden_size;
  m.n_attention_heads = config_.num_attention_heads;
  m.n_kv_heads = config_.num_key_value_heads;
  m.head_dim = config_.head_dim;
  m.sliding_window = config_.sliding_window;
  KvCache kv;
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l)
    kv.layers.push_back({config_.num_key_value_heads, config_.head_dim, config_.sliding_window});
  m.cache_strategy = kv;
  return m;
}

int64_t LlamaModel::weight_bytes() const {
  int64_t b = static_cast<int64_t>(weights_.output.nbytes()) +
              static_cast<int64_t>(weights_.token_embedding.nbytes()) / config_.vocab_size;
  for (const LlamaLayerWeights& l : weights_.layers)
    for (const Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down,
                            &l.attn_norm, &l.ffn_norm})
      b += static_cast<int64_t>(t->nbytes());
  return b;
}

Status LlamaModel::attention_block(const OpContext& ctx, size_t layer, int64_t n, int64_t pos, int64_t kv_base,
                                   const KvStore& kv, LlamaWorkspace& ws) const {
  const LlamaLayerWeights& w = weights_.layers[layer];
  const ModelConfig& c = config_;
  const TensorView x = rows(ws.x, n), h = rows(ws.h, n), q = rows(ws.q, n);
  MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, x, w.attn_norm.view(), static_cast<float>(c.rms_norm_eps), h));
  // Keys and values go straight into the cache rows of positions [pos, pos + n).
  const int64_t row = pos - kv_base;
  auto k_rows = kv.keys(static_cast<int64_t>(layer)).slice(0, row, row + n);
  auto v_rows = kv.values(static_cast<int64_t>(layer)).slice(0, row, row + n);
  if (!k_rows || !v_rows) return invalid_argument("KV cache too small for position " + std::to_string(pos + n));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.wq.view(), q));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.wk.view(), k_rows.value()));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.wv.view(), v_rows.value()));
  RopeParams rp;
  rp.theta = static_cast<float>(c.rope_theta);
  rp.layout = weights_.layout == WeightLayout::kGguf ? RopeLayout::kInterleaved : RopeLayout::kNeox;
  rp.position_offset = pos;  // RoPE uses absolute positions
  rp.inv_freq = weights_.inv_freq.data();
  const TensorView qh = as_heads(q, c.num_attention_heads, c.head_dim);
  const TensorView kh = as_heads(k_rows.value(), c.num_key_value_heads, c.head_dim);
  MISTRALRS_RETURN_IF_ERROR(rope(ctx, qh, rp, qh));
  MISTRALRS_RETURN_IF_ERROR(rope(ctx, kh, rp, kh));
  // Attend over every cached row up to the newest; the op applies causality and window,
  // which depend on position differences only, so rows count from kv_base.
  auto k_all = kv.keys(static_cast<int64_t>(layer)).slice(0, 0, row + n);
  auto v_all = kv.values(static_cast<int64_t>(layer)).slice(0, 0, row + n);
  AttentionParams ap;
  ap.q_position = row;
  ap.sliding_window = c.sliding_window;
  const TensorView attn = rows(ws.attn, n);
  MISTRALRS_RETURN_IF_ERROR(attention(ctx, qh, as_heads(k_all.value(), c.num_key_value_heads, c.head_dim),
                                      as_heads(v_all.value(), c.num_key_value_heads, c.head_dim), ap,
                                      as_heads(attn, c.num_attention_heads, c.head_dim)));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, attn, w.wo.view(), h));
  return add(ctx, x, h, x);
}

Status LlamaModel::mlp_block(const OpContext& ctx, size_t layer, int64_t n, LlamaWorkspace& ws) const {
  const LlamaLayerWeights& w = weights_.layers[layer];
  const TensorView x = rows(ws.x, n), h = rows(ws.h, n), g = rows(ws.gate, n), u = rows(ws.up, n);
  MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, x, w.ffn_norm.view(), static_cast<float>(config_.rms_norm_eps), h));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.w_gate.view(), g));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, h, w.w_up.view(), u));
  MISTRALRS_RETURN_IF_ERROR(silu(ctx, g, g));
  MISTRALRS_RETURN_IF_ERROR(mul(ctx, g, u, g));
  MISTRALRS_RETURN_IF_ERROR(matmul(ctx, g, w.w_down.view(), h));
  return add(ctx, x, h, x);
}

Status LlamaModel::forward(const OpContext& ctx, const int32_t* tokens, int64_t n, int64_t pos,
                           const KvStore& kv, LlamaWorkspace& ws, float* logits, bool all_logits,
                           const std::atomic<bool>* cancel, int64_t kv_base) const {
  if (n <= 0 || n > ws.max_tokens) return invalid_argument("forward: chunk of " + std::to_string(n) + " tokens");
  if (kv_base < 0 || pos < kv_base || pos + n - kv_base > kv.capacity())
    return invalid_argument("forward: positions [" + std::to_string(pos) + ", " + std::to_string(pos + n) +
                            ") exceed the cache of " + std::to_string(kv.capacity()) + " rows from position " +
                            std::to_string(kv_base));
  if (kv_base > 0 && config_.sliding_window <= 0)
    return invalid_argument("forward: only a sliding-window model may drop cache rows");
  std::memcpy(ws.ids.as<int32_t>(), tokens, static_cast<size_t>(n) * sizeof(int32_t));
  auto ids = ws.ids.view().slice(0, 0, n);
  MISTRALRS_RETURN_IF_ERROR(embedding(ctx, weights_.token_embedding.view(), ids.value(), rows(ws.x, n)));
  for (size_t l = 0; l < weights_.layers.size(); ++l) {
    if (cancel && cancel->load(std::memory_order_relaxed))
      return Status(StatusCode::kCancelled, "cancelled during layer " + std::to_string(l));
    MISTRALRS_RETURN_IF_ERROR(attention_block(ctx, l, n, pos, kv_base, kv, ws));
    MISTRALRS_RETURN_IF_ERROR(mlp_block(ctx, l, n, ws));
  }
  if (!logits) return Status::ok();
  const float eps = static_cast<float>(config_.rms_norm_eps);
  const int64_t vocab = config_.vocab_size;
  if (all_logits) {
    const TensorView h = rows(ws.h, n);
    MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, rows(ws.x, n), weights_.output_norm.view(), eps, h));
    return matmul(ctx, h, weights_.output.view(), TensorView(logits, DType::kF32, {n, vocab}));
  }
  auto last_x = ws.x.view().slice(0, n - 1, n);
  MISTRALRS_RETURN_IF_ERROR(rms_norm(ctx, last_x.value(), weights_.output_norm.view(), eps, ws.last.view()));
  return matmul(ctx, ws.last.view(), weights_.output.view(), TensorView(logits, DType::kF32, {1, vocab}));
}

}  // namespace mistralrs
