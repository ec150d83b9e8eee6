#pragma once
// Hugging Face tokenizer.json engine: loads a tokenizer.json (models BPE, WordPiece, Unigram with
// normalizers, pre-tokenizers, decoders, added tokens and post-processors) and returns a Tokenizer
// whose ids match the Hugging Face `tokenizers` library.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {
// tokenizer_json: a parsed tokenizer.json. tokenizer_config: the parsed tokenizer_config.json or
// nullptr (it may set add_bos_token/add_eos_token, legacy, chat_template, bos/eos token text).
Expected<std::unique_ptr<Tokenizer>> load_hf_tokenizer(const nlohmann::json& tokenizer_json,
                                                      const nlohmann::json* tokenizer_config);
// Reads a tokenizer.json file (and tokenizer_config.json next to it when present).
Expected<std::unique_ptr<Tokenizer>> load_hf_tokenizer_file(const std::string& path);
}  // namespace mistralrs
