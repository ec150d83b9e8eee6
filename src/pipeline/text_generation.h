// One text generation request on a session, as a PipelineRun: the first step evaluates the
// prompt (in chunks, cancellable between layers), each later step samples, reports and
// evaluates one token. The session must outlive the run and not be used meanwhile.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "pipeline/stop_strings.h"
#include "pipeline/text_session.h"
#include "sampling/sampler_chain.h"
#include "tokenizer/utf8_stream.h"

namespace mistralrs {

class TextGeneration final : public PipelineRun {
 public:
  // Validates the request and prepares the sampler (fed the session's and the prompt's
  // tokens, so penalties and DRY see the whole context). Nothing is evaluated yet.
  static Expected<std::unique_ptr<TextGeneration>> start(TextSession& session, std::vector<int32_t> prompt,
                                                         const GenerateParams& params, TokenCallback on_token,
                                                         GenerationStats* stats);

  Expected<bool> step(const std::atomic<bool>* cancel) override;
  FinishReason finish_reason() const { return reason_; }

 private:
  TextGeneration(TextSession& s, const GenerateParams& p) : s_(s), p_(p), stops_(p.stop_strings) {}
  Expected<bool> prefill(const std::atomic<bool>* cancel);
  Expected<bool> decode_one(const std::atomic<bool>* cancel);
  // s_.eval of `n` tokens that leaves the next token's logits (or, device_greedy_, its id).
  Status eval_next(const int32_t* tokens, size_t n, const std::atomic<bool>* cancel);
  bool finish(FinishReason reason);

  TextSession& s_;
  GenerateParams p_;
  std::vector<int32_t> prompt_;
  TokenCallback on_token_;
  std::unique_ptr<SamplerChain> chain_;
  Utf8Stream utf8_;
  StopStringFilter stops_;
  GenerationStats local_stats_;
  GenerationStats* stats_ = &local_stats_;
  // A CUDA session with a plain greedy chain: the argmax is taken on the device and only
  // the id comes back (next_); other chains copy the logits row back for the CPU sampler.
  bool device_greedy_ = false;
  int32_t next_ = -1;
  bool prefilled_ = false;
  bool done_ = false;
  FinishReason reason_ = FinishReason::kMaxTokens;
  double decode_started_ = 0.0;
};

}  // namespace mistralrs
