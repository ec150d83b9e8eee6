// The structs behind the sampler's opaque C handles (mistralrs_sampler_params,
// mistralrs_sampler); kept apart from handles.h so that the sampler needs no model.
#pragma once
#include <memory>

#include "mistralrs.h"
#include "sampling/sampler_chain.h"
#include "sampling/sampler_params.h"

// Configured on one thread, then read-only (the sampler copies it at create).
struct mistralrs_sampler_params {
  mistralrs::SamplerParams params;
};

// One generating sequence: its history, random streams and mirostat state.
struct mistralrs_sampler {
  std::unique_ptr<mistralrs::SamplerChain> chain;
};
