// A loaded text model: the decoder plus its tokenizer (when the files carry one).
// Immutable after loading; any number of sessions and threads may share it.
#pragma once
#include <memory>
#include <string>

#include "models/llama/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

struct TextModel {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when the model files have no vocabulary

  // Loads the decoder and, from the same path, the tokenizer if there is one.
  static Expected<std::unique_ptr<TextModel>> load(const std::string& path);
};

}  // namespace mistralrs
