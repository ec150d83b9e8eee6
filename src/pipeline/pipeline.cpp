#include "pipeline/pipeline.h"

namespace mistralrs {

const char* pipeline_kind_name(PipelineKind kind) {
  switch (kind) {
    case PipelineKind::kText: return "text";
    case PipelineKind::kDiffusion: return "diffusion";
    case PipelineKind::kSpeech: return "speech";
  }
  return "unknown";
}

Status run_to_completion(PipelineRun& run, const std::atomic<bool>* cancel) {
  for (;;) {
    auto done = run.step(cancel);
    if (!done) return done.status();
    if (done.value()) return Status::ok();
  }
}

}  // namespace mistralrs
