// WordPiece as tokenizers' model does it: greedy longest-match-first from the left, pieces
// after the first carry the continuing-subword prefix ("##"); a word with any unmatched part,
// or longer than max_input_chars_per_word characters, becomes the single unknown token.
#include "tokenizer/hf/model.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {

class WordPieceModel final : public ObjectVocabModel {
 public:
  Status tokenize(std::string_view w, std::vector<int32_t>& out, void*) const override {
    size_t chars = 0;
    for (size_t i = 0; i < w.size(); i += char_len(static_cast<unsigned char>(w[i]))) ++chars;
    const size_t mark = out.size();
    if (chars <= max_chars_) {
      std::string key;
      size_t start = 0;
      while (start < w.size()) {
        size_t end = w.size();
        int32_t found = -1;
        while (start < end) {
          key.assign(start > 0 ? prefix_ : std::string());
          key.append(w.substr(start, end - start));
          auto it = vocab_.find(key);
          if (it != vocab_.end()) {
            found = it->second;
            break;
          }
          do --end;  // back off one character
          while (end > start && (static_cast<unsigned char>(w[end]) & 0xC0) == 0x80);
        }
        if (found < 0) break;
        out.push_back(found);
        start = end;
      }
      if (start >= w.size()) return Status::ok();
    }
    out.resize(mark);
    if (unk_id_ < 0) return invalid_argument("tokenizer.json: WordPiece unk_token '" + unk_token_ + "' is not in the vocabulary");
    out.push_back(unk_id_);
    return Status::ok();
  }
  std::string unk_token_ = "[UNK]", prefix_ = "##";
  size_t max_chars_ = 100;
  int32_t unk_id_ = -1;
};

}  // namespace

Expected<std::unique_ptr<Model>> parse_wordpiece(const Json& j) {
  auto m = std::make_unique<WordPieceModel>();
  const std::string where = "model";
  MISTRALRS_RETURN_IF_ERROR(read_vocab_object(j, where, m->vocab_, m->by_id_, m->present_));
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "unk_token", where, m->unk_token_));
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "continuing_subword_prefix", where, m->prefix_));
  int64_t max_chars = 100;
  MISTRALRS_RETURN_IF_ERROR(read_int(j, "max_input_chars_per_word", where, 0, INT64_MAX, max_chars));
  m->max_chars_ = static_cast<size_t>(max_chars);
  m->unk_id_ = m->token_to_id(m->unk_token_);
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace mistralrs::hf
