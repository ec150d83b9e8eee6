// The normalizer and pre-tokenizer that a model family's Hugging Face tokenizer.json has, keyed
// by the GGUF name of that family (tokenizer.ggml.pre). GGUF files keep only the name; the
// regexes below are the ones in the models' published tokenizer.json files.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace mistralrs {

struct HfPreTokenization {
  nlohmann::json normalizer;     // null when the family has none
  nlohmann::json pre_tokenizer;
  bool ignore_merges = false;    // BPE looks whole words up before merging (Llama 3)
};

// `pre`: tokenizer.ggml.pre ("" or "default" when absent). Unknown names: unsupported status.
Expected<HfPreTokenization> hf_pre_tokenization(const std::string& pre);

}  // namespace mistralrs
