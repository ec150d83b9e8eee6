// The one interface the engine sees for every kind of generation: text now, diffusion and
// speech later. A pipeline says what it is and what it needs kept between steps (its
// metadata's cache_strategy, from which alone the engine decides what to allocate); a run
// is one request in progress, advanced a step at a time so that the engine can check
// cancellation and stream results between steps (and, later, interleave requests).
#pragma once
#include <atomic>
#include <cstdint>

#include "cache/cache_strategy.h"
#include "core/status.h"

namespace mistralrs {

// Numbers are stable (they may appear in the C API).
enum class PipelineKind : int32_t { kText = 0, kDiffusion = 1, kSpeech = 2 };
const char* pipeline_kind_name(PipelineKind kind);

class PipelineRun {
 public:
  virtual ~PipelineRun() = default;
  // Does the next step (text: the prompt's prefill, then one token). Returns true once the
  // run has finished; an error status ends it too.
  virtual Expected<bool> step(const std::atomic<bool>* cancel) = 0;
};

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  virtual PipelineKind kind() const = 0;
  virtual ModelConfigMetadata metadata() const = 0;
};

// Steps `run` until it finishes or fails.
Status run_to_completion(PipelineRun& run, const std::atomic<bool>* cancel);

}  // namespace mistralrs
