// The Llama / Mistral decoder: embedding, per layer RMSNorm -> grouped-query attention with
// RoPE (sliding window where configured) -> residual -> RMSNorm -> SwiGLU MLP -> residual,
// then the final norm and the LM head. Activations f32; weights in their file dtype.
// On the CPU, forward() below runs a step; a model loaded on a CUDA device keeps every
// weight in device memory and its sessions run steps through LlamaCudaRunner
// (llama_cuda_runner.h) instead.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "cache/cache_strategy.h"
#include "cache/kv_cache.h"
#include "formats/gguf.h"
#include "formats/model_config.h"
#include "formats/weight_source.h"
#include "models/llama/llama_weights.h"
#include "ops/ops.h"

namespace mistralrs {

// Scratch activations for chunks of up to `max_tokens` tokens; one per session.
struct LlamaWorkspace {
  int64_t max_tokens = 0;
  Tensor x, h, q, attn, gate, up, ids, last;  // see llama_model.cpp for shapes
  static Expected<LlamaWorkspace> create(const ModelConfig& c, int64_t max_tokens);
};

class LlamaModel {
 public:
  // `path`: an HF model directory (config.json + safetensors) or a .gguf file. On a CUDA
  // `device` every weight is copied into device memory in its file dtype and the file is
  // released; out of device memory is kOutOfMemory naming the tensor, with nothing left
  // allocated.
  static Expected<std::unique_ptr<LlamaModel>> load(const std::string& path, Device device = Device::cpu());
  // From a parsed GGUF (a file, a copied memory buffer or bytes read through callbacks);
  // on the CPU the model keeps `gguf`, whose storage the weights view.
  static Expected<std::unique_ptr<LlamaModel>> from_gguf(std::unique_ptr<GgufFile> gguf,
                                                         Device device = Device::cpu());

  const ModelConfig& config() const { return config_; }
  const LlamaWeights& weights() const { return weights_; }
  Device device() const { return device_; }
  // Element type of the KV cache its sessions keep: f32 on the CPU; on CUDA bf16 when the
  // projections are bf16 (an HF bf16 checkpoint), else f16 (the attention kernels' types).
  DType kv_dtype() const;
  // KvCache with one entry per layer (the window on every layer of a sliding-window model).
  ModelConfigMetadata metadata() const;
  // Bytes of weights read for one decode step (every matrix once, one embedding row).
  int64_t weight_bytes() const;

  // Runs tokens[0..n) at positions [pos, pos + n) (n <= ws.max_tokens), storing their keys
  // and values in `kv`, whose row r holds position kv_base + r (kv_base > 0: a sliding-window
  // session that dropped rows no query can see; pos + n - kv_base <= kv capacity). logits:
  // null, or n x vocab floats when all_logits, else vocab floats for the last token.
  // `cancel` (may be null) is read between layers: when set, returns kCancelled and the
  // positions are not committed.
  Status forward(const OpContext& ctx, const int32_t* tokens, int64_t n, int64_t pos,
                 const KvStore& kv, LlamaWorkspace& ws, float* logits, bool all_logits,
                 const std::atomic<bool>* cancel, int64_t kv_base = 0) const;

 private:
  Status attention_block(const OpContext& ctx, size_t layer, int64_t n, int64_t pos, int64_t kv_base,
                         const KvStore& kv, LlamaWorkspace& ws) const;
  Status mlp_block(const OpContext& ctx, size_t layer, int64_t n, LlamaWorkspace& ws) const;

  // Replaces the host weights by device copies and drops the file (CUDA only).
  Status move_to(Device device);

  ModelConfig config_;
  std::unique_ptr<WeightSource> source_;  // owns the mappings the CPU weights view; null on CUDA
  LlamaWeights weights_;
  Device device_;
};

}  // namespace mistralrs
