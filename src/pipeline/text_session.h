// One conversation's state over a TextModel: the KV cache, the positions filled so far and
// the generation loop (chunked prefill, then decode one token at a time).
// A session is used by one thread at a time; the model may be shared.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/kv_cache.h"
#include "models/llama/llama_cuda_runner.h"
#include "pipeline/text_model.h"
#include "sampling/sampler_params.h"

namespace mistralrs {

// Greedy by default; any sampler chain (temperature, top-k/p, min-p, penalties, DRY, ...)
// may be set instead.
inline SamplerParams greedy_sampling() {
  SamplerParams p;
  p.greedy = true;
  return p;
}

struct GenerateParams {
  int32_t max_tokens = 128;
  SamplerParams sampling = greedy_sampling();
  std::vector<std::string> stop_strings;  // generation ends before the first match
  bool ignore_eos = false;
};

// Numbers match MISTRALRS_FINISH_* in the C header.
enum class FinishReason : int32_t {
  kEos = 0, kMaxTokens = 1, kStopString = 2, kContextFull = 3, kCancelled = 4, kCallbackStop = 5,
};

// Called per generated token with the text it completes (whole UTF-8, possibly empty while
// a character or a possible stop string is pending). Return false to stop. At the end, text
// still held back arrives in one last call with token -1. A token that ends generation (a
// stop-string match, a callback stop) is reported but not evaluated into the session.
using TokenCallback = std::function<bool(int32_t token, std::string_view text)>;

struct GenerationStats {
  int64_t prompt_tokens = 0;
  double prompt_seconds = 0.0;
  int64_t generated_tokens = 0;
  double generate_seconds = 0.0;
};

// True when `p` picks the argmax of the raw logits (greedy, no stage that moves or drops
// the top logit), so a session on a device can sample there and copy back only the id.
bool samples_raw_argmax(const SamplerParams& p);

class TextSession {
 public:
  // context_length 0 = the model's max_position_embeddings. exact_block_weights: see
  // OpContext (f32 arithmetic on dequantized weights instead of 8-bit activations).
  // On a CUDA model the KV cache (the model's kv_dtype(), context_length rows, also for a
  // sliding-window model) and the step workspace are device memory; out of device memory
  // is kOutOfMemory. use_cuda_graph = false keeps every decode step eager.
  static Expected<std::unique_ptr<TextSession>> create(const TextModel& model, ThreadPool* pool,
                                                       int64_t context_length, int64_t prefill_chunk,
                                                       bool exact_block_weights = false,
                                                       bool use_cuda_graph = true);

  ~TextSession();  // returns the KV buffer's bytes to the model's budget
  TextSession(const TextSession&) = delete;
  TextSession& operator=(const TextSession&) = delete;

  int64_t context_length() const { return context_length_; }
  int64_t kv_bytes() const { return kv_.bytes(); }
  int64_t n_past() const { return n_past_; }
  const std::vector<int32_t>& tokens() const { return history_; }
  void reset();

  // Appends tokens (prefill in chunks); writes the last position's logits when non-null.
  // On failure or cancel, nothing of this call is committed (except for a sliding-window
  // session whose bounded buffer had to drop rows during this call: then the chunks that
  // completed are kept, the state the buffer still holds). With the model's prefix cache
  // on, an empty session first copies the cached leading blocks of `tokens` (all but the
  // last token, whose logits are needed) and computes only the rest; afterwards it
  // publishes its full blocks.
  Status eval(const int32_t* tokens, size_t n, float* logits, const std::atomic<bool>* cancel = nullptr);
  // As eval, on a CUDA session only: *next_token = the argmax of the last position's logits,
  // computed on the device (-1 when every logit is -inf); the logits stay there.
  Status eval_argmax(const int32_t* tokens, size_t n, int32_t* next_token,
                     const std::atomic<bool>* cancel = nullptr);
  bool on_device() const { return runner_ != nullptr; }
  // Whether decode steps replay a CUDA graph now, and why not when capture failed.
  bool cuda_graph_active() const { return runner_ && runner_->graph_ready(); }
  std::string cuda_graph_note() const { return runner_ ? runner_->graph_note() : std::string(); }
  // Called once with a message when something falls back (CUDA graph capture failed).
  void set_warning_sink(std::function<void(const std::string&)> sink) { warn_ = std::move(sink); }

  // Evaluates `prompt` after what the session holds, then generates.
  Expected<FinishReason> generate(const std::vector<int32_t>& prompt, const GenerateParams& params,
                                  const TokenCallback& on_token, const std::atomic<bool>* cancel,
                                  GenerationStats* stats);

 private:
  friend class TextGeneration;  // the generation loop, stepped by the engine
  TextSession(const TextModel& m, ThreadPool* pool) : model_(m), ctx_{pool, nullptr} {}
  Status check_tokens(const int32_t* tokens, size_t n) const;
  void publish_blocks();
  void drop_rows(int64_t new_base, int64_t end);  // keeps positions [new_base, end)
  Status create_device_state(const ModelConfigMetadata& meta, int64_t prefill_chunk, bool use_graph);
  // eval on the device: no prefix cache (off on CUDA) and no dropped rows (the buffer holds
  // the whole context).
  Status eval_device(const int32_t* tokens, size_t n, float* logits, int32_t* next_token,
                     const std::atomic<bool>* cancel);

  const TextModel& model_;
  OpContext ctx_;
  KvStore kv_;
  LlamaWorkspace ws_;
  int64_t n_past_ = 0;
  int64_t context_length_ = 0;
  // Position held by kv_ row 0. A sliding-window model's buffer keeps window + prefill chunk
  // rows, not the whole context: when it fills, the last `window` rows move to the front.
  int64_t kv_base_ = 0;
  int64_t reserved_bytes_ = 0;    // of model_.kv_pool's budget, for kv_
  int64_t published_blocks_ = 0;  // leading full blocks already offered to the prefix cache
  std::vector<int32_t> history_;
  std::vector<float> logits_;
  std::unique_ptr<LlamaCudaRunner> runner_;  // CUDA models only
  std::function<void(const std::string&)> warn_;
  bool warned_ = false;
};

}  // namespace mistralrs
