#include "models/llama/llama_weights.h"

#include <cmath>
#include <string>

#include "core/quant.h"

namespace mistralrs {

namespace {

enum class Part { kAttnNorm, kQ, kK, kV, kO, kFfnNorm, kGate, kUp, kDown };

std::string layer_name(WeightLayout layout, Part part, int64_t layer) {
  const std::string n = std::to_string(layer);
  if (layout == WeightLayout::kGguf) {
    static const char* kGguf[] = {"attn_norm", "attn_q",   "attn_k",   "attn_v",  "attn_output",
                                  "ffn_norm",  "ffn_gate", "ffn_up",   "ffn_down"};
    return "blk." + n + "." + kGguf[static_cast<int>(part)] + ".weight";
  }
  static const char* kHf[] = {"input_layernorm",         "self_attn.q_proj", "self_attn.k_proj",
                              "self_attn.v_proj",        "self_attn.o_proj", "post_attention_layernorm",
                              "mlp.gate_proj",           "mlp.up_proj",      "mlp.down_proj"};
  return "model.layers." + n + "." + kHf[static_cast<int>(part)] + ".weight";
}

struct GlobalNames {
  const char* embedding;
  const char* norm;
  const char* output;
};
GlobalNames global_names(WeightLayout layout) {
  if (layout == WeightLayout::kGguf) return {"token_embd.weight", "output_norm.weight", "output.weight"};
  return {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"};
}

Expected<Tensor> fetch(const WeightSource& src, const std::string& name, Shape expected) {
  auto t = src.tensor(name);
  if (!t) return t.status();
  if (!(t.value().shape() == expected))
    return invalid_argument(src.origin() + ": tensor '" + name + "' has shape " +
                            t.value().shape().to_string() + ", the config implies " +
                            expected.to_string());
  const DType dt = t.value().dtype();
  if (dt == DType::kI32)
    return unsupported(src.origin() + ": tensor '" + name + "' has integer dtype");
  return t;
}

// Norm weights as f32, converting f16/bf16 once (they are tiny).
Expected<Tensor> fetch_norm(const WeightSource& src, const std::string& name, int64_t n) {
  auto t = fetch(src, name, Shape{n});
  if (!t || t.value().dtype() == DType::kF32) return t;
  auto out = Tensor::empty({n}, DType::kF32);
  if (!out) return out.status();
  if (is_block_type(t.value().dtype()) ||
      !dequantize_row(t.value().dtype(), t.value().as<void>(), out.value().as<float>(), n))
    return unsupported(src.origin() + ": norm weight '" + name + "' has dtype " +
                       std::string(dtype_name(t.value().dtype())));
  return out;
}

}  // namespace

std::vector<float> rope_inv_freq(const ModelConfig& config, const float* file_factors) {
  const int64_t dim = config.head_dim;
  std::vector<float> inv(static_cast<size_t>(dim / 2));
  const float base = static_cast<float>(config.rope_theta);
  for (int64_t i = 0; i < dim / 2; ++i) {
    // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), in float32.
    const float expo = static_cast<float>(2 * i) / static_cast<float>(dim);
    inv[static_cast<size_t>(i)] = 1.0f / std::pow(base, expo);
  }
  if (file_factors) {
    for (size_t i = 0; i < inv.size(); ++i) inv[i] /= file_factors[i];
    return inv;
  }
  const RopeScaling& rs = config.rope_scaling;
  if (rs.kind == RopeScaling::Kind::kLinear) {
    for (float& f : inv) f /= static_cast<float>(rs.factor);
  } else if (rs.kind == RopeScaling::Kind::kLlama3) {
    // Long wavelengths are divided by `factor`, short ones kept, the band between blended.
    const float factor = static_cast<float>(rs.factor);
    const float old_ctx = static_cast<float>(rs.original_max_position_embeddings);
    const float lo = static_cast<float>(rs.low_freq_factor), hi = static_cast<float>(rs.high_freq_factor);
    const float low_wavelen = old_ctx / lo, high_wavelen = old_ctx / hi;
    const float two_pi = 2.0f * 3.14159265358979323846f;
    for (float& f : inv) {
      const float wavelen = two_pi / f;
      if (wavelen > low_wavelen) {
        f = f / factor;
      } else if (wavelen >= high_wavelen) {
        const float smooth = (old_ctx / wavelen - lo) / (hi - lo);
        f = (1.0f - smooth) * f / factor + smooth * f;
      }
    }
  }
  return inv;
}

Expected<LlamaWeights> load_llama_weights(const WeightSource& src, const ModelConfig& c,
                                          WeightLayout layout) {
  LlamaWeights w;
  w.layout = layout;
  const int64_t h = c.hidden_size, hd = c.head_dim, q_out = c.num_attention_heads * hd,
                kv_out = c.num_key_value_heads * hd, ffn = c.intermediate_size, v = c.vocab_size;
  const GlobalNames g = global_names(layout);
  auto emb = fetch(src, g.embedding, {v, h});
  if (!emb) return emb.status();
  w.token_embedding = emb.value();
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    LlamaLayerWeights lw;
    struct Item {
      Part part;
      Tensor* dst;
      Shape shape;
    };
    const Item items[] = {{Part::kQ, &lw.wq, {q_out, h}},    {Part::kK, &lw.wk, {kv_out, h}},
                          {Part::kV, &lw.wv, {kv_out, h}},   {Part::kO, &lw.wo, {h, q_out}},
                          {Part::kGate, &lw.w_gate, {ffn, h}}, {Part::kUp, &lw.w_up, {ffn, h}},
                          {Part::kDown, &lw.w_down, {h, ffn}}};
    for (const Item& it : items) {
      auto t = fetch(src, layer_name(layout, it.part, l), it.shape);
      if (!t) return t.status();
      *it.dst = t.value();
    }
    auto an = fetch_norm(src, layer_name(layout, Part::kAttnNorm, l), h);
    if (!an) return an.status();
    lw.attn_norm = an.value();
    auto fn = fetch_norm(src, layer_name(layout, Part::kFfnNorm, l), h);
    if (!fn) return fn.status();
    lw.ffn_norm = fn.value();
    w.layers.push_back(std::move(lw));
  }
  auto on = fetch_norm(src, g.norm, h);
  if (!on) return on.status();
  w.output_norm = on.value();
  if (src.has(g.output)) {
    auto out = fetch(src, g.output, {v, h});
    if (!out) return out.status();
    w.output = out.value();
  } else if (c.tie_word_embeddings || layout == WeightLayout::kGguf) {
    w.output = w.token_embedding;  // tied: the LM head reads the embedding matrix
  } else {
    return invalid_argument(src.origin() + ": missing tensor '" + g.output +
                            "' (tie_word_embeddings is false)");
  }
  const float* factors = nullptr;
  Tensor rope_freqs;
  if (layout == WeightLayout::kGguf && src.has("rope_freqs.weight")) {
    auto rf = fetch_norm(src, "rope_freqs.weight", hd / 2);
    if (!rf) return rf.status();
    rope_freqs = rf.value();
    factors = rope_freqs.as<float>();
  }
  w.inv_freq = rope_inv_freq(c, factors);
  return w;
}

}  // namespace mistralrs
