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

class TextSession {
 public:
  // context_length 0 = the model's max_position_embeddings. exact_block_weights: see
  // OpContext (f32 arithmetic on dequantized weights instead of 8-bit activations).
  static Expected<std::unique_ptr<TextSession>> create(const TextModel& model, ThreadPool* pool,
                                                       int64_t context_length, int64_t prefill_chunk,
                                                       bool exact_block_weights = false);

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
};

}  // namespace mistralrs
