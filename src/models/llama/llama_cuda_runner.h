// One session's steps of a CUDA-resident LlamaModel: a device workspace, a stream of its
// own, pinned staging for the few numbers that cross the bus each step, and the decode
// step captured once as a CUDA graph and replayed.
//
// A step: token ids in (pinned -> device) -> embedding -> per layer rms_norm, q/k/v
// matmuls into f32, rope, q cast to the cache dtype, kv_write, cached_attention (f32 out),
// o matmul + residual, rms_norm, gate/up matmuls, silu_mul, down matmul + residual -> final
// norm of the last row -> LM head (device logits) -> argmax on the device. Out come the id
// (4 bytes) and, only when asked, the logits row.
//
// Decode steps (one token) always read their position and key count from device memory
// (RopeParams::device_position, KvCacheView::device_n_kv, kv_write's device_pos), so an
// eager decode step and a graph replay launch the same kernels with the same arguments and
// give bitwise-equal results. The first decode step runs eagerly (it warms up lazily
// loaded kernels and library handles, which must not allocate during capture); the second
// is captured. A failed capture is recorded in graph_note() and the session stays eager.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "cache/kv_cache.h"
#include "cuda_graph.h"
#include "models/llama/llama_model.h"

namespace mistralrs {

class LlamaCudaRunner {
 public:
  // max_tokens: the longest chunk forward() takes (the prefill chunk). use_graph = false
  // keeps every step eager (tests compare the two).
  static Expected<std::unique_ptr<LlamaCudaRunner>> create(const LlamaModel& model, int64_t max_tokens,
                                                           bool use_graph = true);
  ~LlamaCudaRunner();
  LlamaCudaRunner(const LlamaCudaRunner&) = delete;
  LlamaCudaRunner& operator=(const LlamaCudaRunner&) = delete;

  int64_t max_tokens() const { return max_tokens_; }
  // Runs tokens[0..n) at positions [pos, pos + n) (n <= max_tokens, pos + n <= kv capacity;
  // kv on the model's device in model.kv_dtype()). Then, for the last token: logits (host,
  // vocab floats) when non-null, *next_token = the greedy argmax when non-null (-1 when no
  // logit is above -inf). `cancel` is read between layers of eager steps.
  Status forward(const OpContext& ctx, const int32_t* tokens, int64_t n, int64_t pos, const KvStore& kv,
                 float* logits, int32_t* next_token, const std::atomic<bool>* cancel);

  bool graph_ready() const { return graph_state_ == GraphState::kReady; }
  // Why capture was not used (empty while it is, or has not been tried yet).
  const std::string& graph_note() const { return graph_note_; }
  int64_t workspace_bytes() const;

 private:
  enum class GraphState { kNotTried, kReady, kFailed, kOff };
  explicit LlamaCudaRunner(const LlamaModel& m) : model_(m) {}
  // Enqueues one step on stream_ (no host synchronisation: capture-safe). decode: n == 1
  // with position and key count from device memory.
  Status enqueue_step(const OpContext& ctx, int64_t n, int64_t pos, const KvStore& kv, bool decode,
                      const std::atomic<bool>* cancel);
  Status layer(const OpContext& ctx, size_t l, int64_t n, int64_t pos, const KvStore& kv, bool decode);
  Status decode_step(const OpContext& ctx, const KvStore& kv);  // graph or eager
  Status try_capture(const OpContext& ctx, const KvStore& kv);

  const LlamaModel& model_;
  Device device_;
  int64_t max_tokens_ = 0;
  void* stream_ = nullptr;   // cudaStream_t
  int32_t* pinned_ = nullptr;  // [max_tokens + 4]: ids, then pos, n_kv, argmax
  // Device workspace (f32 unless noted): x, h [T, hidden]; q, attn [T, heads * hd];
  // k, v [T, kv_heads * hd]; q_cache [T, heads * hd] in the cache dtype; gate, up [T, ffn];
  // last [1, hidden]; logits [1, vocab]; ids i32 [T]; scalars i32 [4]: pos, n_kv, argmax.
  Tensor x_, h_, q_, k_, v_, q_cache_, attn_, gate_, up_, last_, logits_, ids_, scalars_;
  kernels::CudaGraph graph_;
  const void* graph_kv_ = nullptr;  // the KV buffer the graph was captured against
  int64_t graph_kv_capacity_ = 0;    // and its capacity (grids are sized from it)
  GraphState graph_state_ = GraphState::kNotTried;
  int64_t eager_decode_steps_ = 0;
  std::string graph_note_;
};

}  // namespace mistralrs
