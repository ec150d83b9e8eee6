// ModelConfig from GGUF metadata (general.* / llama.* / tokenizer.ggml.* keys).
#include <cstdint>

#include "formats/gguf.h"
#include "formats/model_config.h"

namespace mistralrs {

namespace {

// Optional integer key: absent keeps `out`; present but ill-typed is an error.
Status optional_int(const GgufFile& g, const std::string& key, int64_t& out) {
  if (!g.find(key)) return Status::ok();
  auto v = g.get_int(key);
  if (!v) return v.status();
  out = v.value();
  return Status::ok();
}

Status required_int(const GgufFile& g, const std::string& key, int64_t& out) {
  auto v = g.get_int(key);
  if (!v) return v.status();
  out = v.value();
  return Status::ok();
}

Status optional_float(const GgufFile& g, const std::string& key, double& out) {
  if (!g.find(key)) return Status::ok();
  auto v = g.get_float(key);
  if (!v) return v.status();
  out = v.value();
  return Status::ok();
}

Status optional_token_id(const GgufFile& g, const std::string& key, std::vector<int32_t>& out) {
  if (!g.find(key)) return Status::ok();
  auto v = g.get_int(key);
  if (!v) return v.status();
  if (v.value() < 0 || v.value() > INT32_MAX)
    return invalid_argument(g.origin() + ": " + key + " " + std::to_string(v.value()) +
                            " is not a token id");
  out.push_back(static_cast<int32_t>(v.value()));
  return Status::ok();
}

// llama.vocab_size, else the tokenizer's token list, else the embedding's rows.
Status read_vocab_size(const GgufFile& g, ModelConfig& c) {
  if (g.find("llama.vocab_size")) return required_int(g, "llama.vocab_size", c.vocab_size);
  if (const GgufValue* tokens = g.find("tokenizer.ggml.tokens")) {
    if (!tokens->is_array())
      return invalid_argument(g.origin() + ": tokenizer.ggml.tokens must be an array");
    c.vocab_size = static_cast<int64_t>(std::get<GgufArray>(tokens->v).items.size());
    return Status::ok();
  }
  for (const GgufTensorInfo& t : g.tensor_infos())
    if (t.name == "token_embd.weight" && t.shape.rank == 2) {
      c.vocab_size = t.shape[0];  // [vocab, hidden] in row-major order
      return Status::ok();
    }
  return invalid_argument(g.origin() +
                          ": cannot tell the vocabulary size (no llama.vocab_size, "
                          "tokenizer.ggml.tokens or token_embd.weight)");
}

Status read_rope(const GgufFile& g, ModelConfig& c) {
  MISTRALRS_RETURN_IF_ERROR(optional_float(g, "llama.rope.freq_base", c.rope_theta));
  if (!g.find("llama.rope.scaling.type")) return Status::ok();
  auto type = g.get_string("llama.rope.scaling.type");
  if (!type) return type.status();
  if (type.value() == "none") return Status::ok();
  if (type.value() != "linear")
    return unsupported(g.origin() + ": llama.rope.scaling.type '" + type.value() +
                       "' is not supported (none and linear are)");
  c.rope_scaling.kind = RopeScaling::Kind::kLinear;
  auto factor = g.get_float("llama.rope.scaling.factor");
  if (!factor) return factor.status();
  c.rope_scaling.factor = factor.value();
  return Status::ok();
}

Status read_gguf_config(const GgufFile& g, ModelConfig& c) {
  MISTRALRS_RETURN_IF_ERROR(required_int(g, "llama.embedding_length", c.hidden_size));
  MISTRALRS_RETURN_IF_ERROR(required_int(g, "llama.feed_forward_length", c.intermediate_size));
  MISTRALRS_RETURN_IF_ERROR(required_int(g, "llama.block_count", c.num_hidden_layers));
  MISTRALRS_RETURN_IF_ERROR(required_int(g, "llama.attention.head_count", c.num_attention_heads));
  c.num_key_value_heads = c.num_attention_heads;
  MISTRALRS_RETURN_IF_ERROR(
      optional_int(g, "llama.attention.head_count_kv", c.num_key_value_heads));
  if (c.num_attention_heads <= 0)
    return invalid_argument(g.origin() + ": llama.attention.head_count must be positive");
  c.head_dim = c.hidden_size / c.num_attention_heads;
  if (!g.find("llama.attention.key_length") && c.hidden_size % c.num_attention_heads != 0)
    return invalid_argument(
        g.origin() +
        ": llama.attention.key_length is absent and "
        "llama.embedding_length is not divisible by llama.attention.head_count");
  MISTRALRS_RETURN_IF_ERROR(optional_int(g, "llama.attention.key_length", c.head_dim));
  auto eps = g.get_float("llama.attention.layer_norm_rms_epsilon");
  if (!eps) return eps.status();
  c.rms_norm_eps = eps.value();
  MISTRALRS_RETURN_IF_ERROR(optional_int(g, "llama.context_length", c.max_position_embeddings));
  MISTRALRS_RETURN_IF_ERROR(optional_int(g, "llama.attention.sliding_window", c.sliding_window));
  MISTRALRS_RETURN_IF_ERROR(read_rope(g, c));
  MISTRALRS_RETURN_IF_ERROR(read_vocab_size(g, c));
  MISTRALRS_RETURN_IF_ERROR(optional_token_id(g, "tokenizer.ggml.bos_token_id", c.bos_token_ids));
  MISTRALRS_RETURN_IF_ERROR(optional_token_id(g, "tokenizer.ggml.eos_token_id", c.eos_token_ids));
  // GGUF drops output.weight when the head shares the token embedding.
  c.tie_word_embeddings = !g.has("output.weight");
  return Status::ok();
}

}  // namespace

Expected<ModelConfig> model_config_from_gguf(const GgufFile& gguf) {
  auto arch = gguf.get_string("general.architecture");
  if (!arch) return arch.status();
  if (arch.value() != "llama")
    return unsupported(gguf.origin() + ": general.architecture '" + arch.value() +
                       "' is not supported (llama is)");
  ModelConfig c;
  c.architecture = "llama";
  MISTRALRS_RETURN_IF_ERROR(read_gguf_config(gguf, c));
  MISTRALRS_RETURN_IF_ERROR(c.validate(gguf.origin()));
  return c;
}

}  // namespace mistralrs
