// GGUF "gpt2" (byte-level BPE) and "bert" (WordPiece) vocabularies as the tokenizer.json and
// tokenizer_config.json Hugging Face has for the same model, so that the tokenizer.json engine
// (tokenizer/hf) runs them. llama.cpp's converter wrote the GGUF keys from those files; this
// undoes it: tokens + merges -> model, tokenizer.ggml.pre -> normalizer and pre-tokenizer,
// token types 3 (control) / 4 (user-defined) -> added tokens, add_bos/add_eos (bert: [CLS]
// and [SEP]) -> a TemplateProcessing post-processor.
#pragma once
#include <nlohmann/json.hpp>

#include "formats/gguf.h"

namespace mistralrs {

struct HfTokenizerJson {
  nlohmann::json tokenizer;  // tokenizer.json
  nlohmann::json config;     // tokenizer_config.json: bos/eos/unk/pad text, chat_template
};

// tokenizer.ggml.model must be "gpt2" or "bert"; anything missing or malformed is an error.
Expected<HfTokenizerJson> gguf_vocab_to_hf_json(const GgufFile& gguf);

}  // namespace mistralrs
