// Mistral's tekken tokenizer (tekken.json, as mistral-common reads it): tiktoken-style
// byte-level BPE. The `vocab` lists byte strings by rank; a word (a match of config.pattern)
// that is itself in the vocabulary is one token, otherwise its bytes are merged pairwise,
// always the adjacent pair whose concatenation has the lowest rank (leftmost among equals).
// Ids 0..num_special-1 are the special tokens; an ordinary rank r is id r + num_special.
//
// Special-token text: like mistral-common, text such as "[INST]" in the input is plain text;
// with parse_special it becomes the special token (the text between is encoded as usual).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace mistralrs {

class TekkenRegex;

class TekkenTokenizer final : public Tokenizer {
 public:
  static Expected<std::unique_ptr<TekkenTokenizer>> from_file(const std::string& path);
  static Expected<std::unique_ptr<TekkenTokenizer>> from_json(const nlohmann::json& tekken, const std::string& origin);
  ~TekkenTokenizer() override;

  int32_t vocab_size() const override { return vocab_size_; }
  Expected<std::vector<int32_t>> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_bytes(int32_t id, bool render_special) const override;
  int32_t bos_id() const override { return bos_; }
  int32_t eos_id() const override { return eos_; }

  int32_t num_special_tokens() const { return static_cast<int32_t>(specials_.size()); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using RankMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

  TekkenTokenizer();
  Status load(const nlohmann::json& j, const std::string& origin);
  Status load_specials(const nlohmann::json& j, const std::string& origin);
  int32_t rank_of(std::string_view bytes) const;
  Status encode_ordinary(std::string_view text, std::vector<int32_t>& out) const;
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  std::unique_ptr<TekkenRegex> regex_;
  std::vector<std::string> rank_bytes_;  // rank -> bytes
  RankMap ranks_;                        // bytes -> rank
  std::vector<std::string> specials_;    // id -> text
  std::vector<int32_t> specials_by_length_;  // ids, longest text first (parse_special)
  int32_t vocab_size_ = 0, bos_ = -1, eos_ = -1;
};

}  // namespace mistralrs
