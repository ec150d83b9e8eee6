// tokenizer.json models: BPE, WordPiece and Unigram. A model turns one pre-tokenized piece of
// text into ids.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "tokenizer/hf/json_fields.h"

namespace mistralrs::hf {

// Hash and equality that accept std::string_view keys without building a std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// Largest id accepted in a vocabulary: ids index dense tables, so an absurd id in a hostile
// file must not size one (real vocabularies stay below 300k).
constexpr int64_t kMaxTokenId = (1 << 24) - 1;

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of `piece` (non-empty, valid UTF-8). `cache` may be used to remember pieces
  // within one encode call; it is owned by the caller and never shared between threads.
  virtual Status tokenize(std::string_view piece, std::vector<int32_t>& out, void* cache) const = 0;
  // A fresh per-call cache for tokenize (may be null).
  virtual std::shared_ptr<void> new_cache() const { return nullptr; }
  virtual int32_t token_to_id(std::string_view token) const = 0;  // -1 when absent
  virtual const std::string* id_to_token(int32_t id) const = 0;   // null when absent
  // One past the largest id.
  virtual int32_t id_limit() const = 0;
};

// A model whose vocabulary is a {"token": id} object (BPE, WordPiece): the lookups in both
// directions over the tables read_vocab_object fills.
class ObjectVocabModel : public Model {
 public:
  int32_t token_to_id(std::string_view t) const override {
    auto it = vocab_.find(t);
    return it == vocab_.end() ? -1 : it->second;
  }
  const std::string* id_to_token(int32_t id) const override {
    return id >= 0 && size_t(id) < by_id_.size() && present_[size_t(id)] ? &by_id_[size_t(id)] : nullptr;
  }
  int32_t id_limit() const override { return static_cast<int32_t>(by_id_.size()); }

  TokenMap vocab_;
  std::vector<std::string> by_id_;
  std::vector<bool> present_;
};

Expected<std::unique_ptr<Model>> parse_model(const Json& j);
Expected<std::unique_ptr<Model>> parse_bpe(const Json& j);
Expected<std::unique_ptr<Model>> parse_wordpiece(const Json& j);
Expected<std::unique_ptr<Model>> parse_unigram(const Json& j);

// Reads a {"token": id} vocabulary into `map` and the reverse table `by_id`.
Status read_vocab_object(const Json& j, const std::string& where, TokenMap& map, std::vector<std::string>& by_id,
                         std::vector<bool>& present);

}  // namespace mistralrs::hf
