// SentencePiece-style BPE over a scored vocabulary (the GGUF "llama" tokenizer model):
// spaces become U+2581, a space is prefixed to each text segment at the start or after a
// special token (the legacy Llama convention), then adjacent symbols are merged, always
// the pair whose merged piece has the highest score (leftmost among equals), and pieces
// missing from the vocabulary fall back to <0xXX> byte tokens.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace mistralrs {

// GGUF token types.
enum class TokenType : int32_t {
  kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

struct Vocabulary {
  std::vector<std::string> tokens;
  std::vector<float> scores;         // may be empty (all 0)
  std::vector<TokenType> types;      // may be empty (all normal)
  int32_t bos = -1, eos = -1, unk = -1;
  bool add_bos = true, add_eos = false;
  bool add_space_prefix = true;
};

class SpmTokenizer final : public Tokenizer {
 public:
  static Expected<std::unique_ptr<SpmTokenizer>> create(Vocabulary vocab, std::string origin);

  int32_t vocab_size() const override { return static_cast<int32_t>(v_.tokens.size()); }
  Expected<std::vector<int32_t>> encode(std::string_view text, bool add_special,
                                        bool parse_special) const override;
  std::string token_bytes(int32_t id, bool render_special) const override;
  int32_t bos_id() const override { return v_.bos; }
  int32_t eos_id() const override { return v_.eos; }
  bool strips_leading_space() const override { return v_.add_space_prefix; }

 private:
  void encode_segment(std::string_view text, std::vector<int32_t>& out) const;
  void emit_piece(std::string_view piece, std::vector<int32_t>& out) const;
  TokenType type(int32_t id) const;

  Vocabulary v_;
  std::unordered_map<std::string, int32_t> piece_to_id_;
  int32_t byte_ids_[256];
  std::vector<int32_t> specials_;  // control and user-defined tokens, longest text first
};

}  // namespace mistralrs
