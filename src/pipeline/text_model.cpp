#include "pipeline/text_model.h"

#include "formats/gguf.h"
#include "tokenizer/gguf_vocab.h"

namespace mistralrs {

Expected<std::unique_ptr<TextModel>> TextModel::load(const std::string& path) {
  auto m = LlamaModel::load(path);
  if (!m) return m.status();
  auto tm = std::make_unique<TextModel>();
  tm->model = std::move(m.value());
  auto tok = load_tokenizer_for_model(path);
  if (!tok) return tok.status();
  tm->tokenizer = std::move(tok.value());
  if (tm->tokenizer && tm->tokenizer->vocab_size() > tm->model->config().vocab_size)
    return invalid_argument("'" + path + "': the tokenizer has " + std::to_string(tm->tokenizer->vocab_size()) +
                            " tokens, more than the model's vocabulary of " +
                            std::to_string(tm->model->config().vocab_size));
  return tm;
}

}  // namespace mistralrs
