// Tokenizers stored in GGUF metadata (tokenizer.ggml.*), and finding the tokenizer that
// belongs to a model path.
#pragma once
#include <memory>
#include <string>

#include "formats/gguf.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

// tokenizer.ggml.model "llama" (SentencePiece-style BPE with scores), "gpt2" (byte-level BPE)
// and "bert" (WordPiece; both through their tokenizer.json form, see gguf_hf_vocab.h), with
// tokenizer.chat_template as the chat template. Other models are an unsupported status naming
// the model; no tokenizer.ggml.tokens gives a null tokenizer.
Expected<std::unique_ptr<Tokenizer>> tokenizer_from_gguf(const GgufFile& gguf);

// The tokenizer of a model path: the vocabulary inside a .gguf file, or an HF model
// directory's tokenizer files (load_tokenizer). Null when the path carries none.
Expected<std::unique_ptr<Tokenizer>> load_tokenizer_for_model(const std::string& path);

}  // namespace mistralrs
