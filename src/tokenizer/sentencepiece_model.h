// A SentencePiece .model file (BPE or unigram) run by libsentencepiece itself, so ids are those
// of the reference implementation. The processor stays behind a pointer to keep its header out
// of ours.
//
// encode: sp.Encode of the text; add_special prepends BOS (and appends EOS) as configured.
// parse_special: SentencePiece never matches control-token text such as "<s>" in its input,
// so by default "<s>" is plain text (ids of '<', 's', '>'). With parse_special, the text is
// split at control-token texts (longest first), each control token becomes its id and each
// piece between them is encoded on its own, so it gets SentencePiece's dummy-prefix space as
// if it started the text (the Llama "legacy" behaviour of Hugging Face).
// User-defined symbols are matched by SentencePiece itself in either mode.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace mistralrs {

class SentencePieceModel final : public Tokenizer {
 public:
  static Expected<std::unique_ptr<SentencePieceModel>> from_file(const std::string& path);
  // `serialized`: the bytes of a .model file (a ModelProto).
  static Expected<std::unique_ptr<SentencePieceModel>> from_serialized(std::string_view serialized,
                                                                       const std::string& origin);
  ~SentencePieceModel() override;

  int32_t vocab_size() const override;
  Expected<std::vector<int32_t>> encode(std::string_view text, bool add_special, bool parse_special) const override;
  // Byte pieces <0xNN> give their byte, U+2581 a space; control and unknown pieces their text
  // only when render_special.
  std::string token_bytes(int32_t id, bool render_special) const override;
  int32_t bos_id() const override;
  int32_t eos_id() const override;
  bool strips_leading_space() const override { return dummy_prefix_; }

  // Which of BOS / EOS add_special adds (default: BOS only, as Llama's tokenizers do).
  void set_add_special(bool bos, bool eos) {
    add_bos_ = bos;
    add_eos_ = eos;
  }

 private:
  SentencePieceModel();
  Status finish_load(const std::string& origin);
  Status encode_plain(std::string_view text, std::vector<int32_t>& out) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string origin_;
  std::vector<std::pair<std::string, int32_t>> controls_;  // control-token texts, longest first
  bool dummy_prefix_ = true;
  bool add_bos_ = true, add_eos_ = false;
};

}  // namespace mistralrs
