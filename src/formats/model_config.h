// The architecture description of a decoder-only transformer (Llama / Mistral family),
// read from an HF config.json or from GGUF metadata (general.* and llama.* keys).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace mistralrs {

class GgufFile;

struct RopeScaling {
  enum class Kind { kNone, kLinear, kLlama3 } kind = Kind::kNone;
  double factor = 1.0;
  // llama3 only:
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string architecture;  // "LlamaForCausalLM", "MistralForCausalLM" (GGUF: "llama")
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // defaults to num_attention_heads
  int64_t head_dim = 0;             // defaults to hidden_size / num_attention_heads
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 2048;
  int64_t sliding_window = 0;  // 0 = none
  bool tie_word_embeddings = false;
  std::vector<int32_t> bos_token_ids;
  std::vector<int32_t> eos_token_ids;
  std::string torch_dtype;  // "float32", "bfloat16", ... ("" when absent)

  // Head counts divide, sizes positive, etc. Messages name `origin` and the field.
  Status validate(const std::string& origin) const;
};

// Parses config.json text; `origin` (the file path) names it in messages. Unknown
// architectures are an unsupported-status naming the architecture.
Expected<ModelConfig> parse_hf_config(const std::string& json_text, const std::string& origin);
Expected<ModelConfig> load_hf_config(const std::string& path);

// From GGUF metadata: general.architecture must be "llama" (Mistral GGUFs use it too).
Expected<ModelConfig> model_config_from_gguf(const GgufFile& gguf);

}  // namespace mistralrs
