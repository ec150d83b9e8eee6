// Llama / Mistral weights: tensors in their file dtype (matmul reads them as stored), norm
// weights as f32 (converted once at load when the file stores them narrower).
#pragma once
#include <memory>
#include <vector>

#include "core/tensor.h"
#include "formats/model_config.h"
#include "formats/weight_source.h"
#include "ops/ops.h"

namespace mistralrs {

struct LlamaLayerWeights {
  Tensor attn_norm;           // f32 [hidden]
  Tensor wq, wk, wv, wo;      // [heads*head_dim, hidden], [kv*hd, hidden] x2, [hidden, heads*hd]
  Tensor ffn_norm;            // f32 [hidden]
  Tensor w_gate, w_up;        // [ffn, hidden]
  Tensor w_down;              // [hidden, ffn]
};

// Where the weights came from decides the rotary layout: HF checkpoints rotate halves
// (NeoX); GGUF converters permute the q/k rows so that interleaved pairs give the same model.
enum class WeightLayout { kHuggingFace, kGguf };

struct LlamaWeights {
  WeightLayout layout = WeightLayout::kHuggingFace;
  Tensor token_embedding;     // [vocab, hidden], any weight dtype
  std::vector<LlamaLayerWeights> layers;
  Tensor output_norm;         // f32 [hidden]
  Tensor output;              // [vocab, hidden]; the embedding itself when tied
  std::vector<float> inv_freq;  // [rotary_dim / 2], rope scaling applied
};

// Loads and checks every tensor's presence, dtype and shape against `config`. Messages name
// the tensor and the origin file.
Expected<LlamaWeights> load_llama_weights(const WeightSource& source, const ModelConfig& config,
                                          WeightLayout layout);

// Copies of every tensor of `host` in `device`'s memory, dtypes kept (norms stay f32); a
// tied LM head shares the embedding's copy and inv_freq stays on the host (rope takes it by
// value). kOutOfMemory names the tensor that did not fit; what was copied is freed.
Expected<LlamaWeights> upload_llama_weights(const LlamaWeights& host, Device device);

// theta^(-2i/dim) with the config's rope scaling (linear or llama3) applied, as transformers
// computes it (float32 arithmetic). `file_factors` (GGUF rope_freqs.weight), when given,
// divides the plain frequencies instead.
std::vector<float> rope_inv_freq(const ModelConfig& config, const float* file_factors);

}  // namespace mistralrs
