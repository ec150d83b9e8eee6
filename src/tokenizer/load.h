// Loading a tokenizer from a path, whatever its kind.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.h"

namespace mistralrs {

// `path` may be:
// - a Hugging Face model directory: tokenizer.json, else tekken.json, else tokenizer.model;
//   tokenizer_config.json gives the chat template and, for tokenizer.model, add_bos_token /
//   add_eos_token; a chat_template.jinja file wins over the config's template (transformers 5);
// - a .gguf file (vocabulary-only or a whole model; only the metadata is read), whose chat
//   template is tokenizer.chat_template;
// - a tokenizer.json, tekken.json or SentencePiece .model file (told apart by content: GGUF
//   magic, a JSON object with "config" and "vocab" for tekken, another JSON object for
//   tokenizer.json, anything else a SentencePiece model); the files next to it apply as in a
//   directory.
// Missing or malformed files are an error status naming the file.
Expected<std::unique_ptr<Tokenizer>> load_tokenizer(const std::string& path);

// The same from bytes in memory (a tokenizer.json, tekken.json, SentencePiece .model or GGUF
// file's content, told apart as above); config_json: the text of a tokenizer_config.json, or
// empty. Errors name "the tokenizer buffer".
Expected<std::unique_ptr<Tokenizer>> load_tokenizer_from_memory(std::string_view bytes,
                                                               std::string_view config_json);

// Whether `dir` holds one of the tokenizer files load_tokenizer looks for.
bool has_tokenizer_files(const std::string& dir);

}  // namespace mistralrs
