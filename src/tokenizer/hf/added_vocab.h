// Added tokens (tokenizers' AddedVocabulary): tokens cut out of the text before the model sees
// it. Tokens with normalized=false are matched on the raw text first; the text between them is
// normalized and then searched for the tokens with normalized=true (in normalized form).
// Matching is leftmost-longest; lstrip/rstrip take the whitespace beside a match into it;
// single_word drops matches that touch a word character.
#pragma once
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "tokenizer/hf/byte_trie.h"
#include "tokenizer/hf/json_fields.h"
#include "tokenizer/hf/model.h"
#include "tokenizer/hf/normalizers.h"

namespace mistralrs::hf {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false, lstrip = false, rstrip = false, single_word = false, normalized = true;
};

// A stretch of text, or an added token (id >= 0) that covers it.
struct Segment {
  size_t begin, end;
  int32_t id;
};

class AddedVocabulary {
 public:
  // Reads "added_tokens" and gives each its id as tokenizers does (the model's id for text the
  // model knows, else the next free id).
  Status load(const Json& added_tokens, const Model& model, const Normalizer* normalizer);

  // Cuts `text` by the raw-text tokens (normalized=false) or by the normalized ones.
  // parse_special=false leaves special tokens as text.
  void split(std::string_view text, bool normalized_set, bool parse_special, std::vector<Segment>& out) const;

  const AddedToken* by_id(int32_t id) const;
  int32_t id_of(std::string_view content) const;
  bool empty() const { return tokens_.empty(); }
  int32_t id_limit() const { return id_limit_; }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> index_by_id_;
  TokenMap id_by_content_;
  ByteTrie raw_trie_, normalized_trie_;  // values: index into tokens_
  int32_t id_limit_ = 0;
};

}  // namespace mistralrs::hf
