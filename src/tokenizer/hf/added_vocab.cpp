#include "tokenizer/hf/added_vocab.h"

#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {

// Rust regex \w at the end / start of s.
bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t k = s.size() - 1;
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
  return is_word_char(next_char(s, k));
}
bool starts_with_word(std::string_view s) {
  size_t i = 0;
  return !s.empty() && is_word_char(next_char(s, i));
}
// Offset where the trailing whitespace of s begins.
size_t trailing_space_start(std::string_view s) {
  size_t e = s.size();
  while (e > 0) {
    size_t k = e - 1;
    while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    size_t i = k;
    if (!is_whitespace(next_char(s, i))) break;
    e = k;
  }
  return e;
}
size_t leading_space_end(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t i = b;
    if (!is_whitespace(next_char(s, i))) break;
    b = i;
  }
  return b;
}

Status read_token(const Json& j, AddedToken& t, int64_t& id) {
  const std::string where = "added_tokens[]";
  if (!j.is_object()) return invalid_argument("tokenizer.json: each added token must be an object");
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "content", where, t.content));
  MISTRALRS_RETURN_IF_ERROR(read_int(j, "id", where, 0, kMaxTokenId, id));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "special", where, t.special));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "lstrip", where, t.lstrip));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "rstrip", where, t.rstrip));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "single_word", where, t.single_word));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "normalized", where, t.normalized));
  return Status::ok();
}

}  // namespace

Status AddedVocabulary::load(const Json& added, const Model& model, const Normalizer* normalizer) {
  if (added.is_null()) return Status::ok();
  if (!added.is_array()) return invalid_argument("tokenizer.json: \"added_tokens\" must be an array");
  const int32_t model_size = model.id_limit();
  int32_t next_id = model_size;
  for (const Json& j : added) {
    AddedToken t;
    int64_t file_id = -1;
    MISTRALRS_RETURN_IF_ERROR(read_token(j, t, file_id));
    if (t.content.empty()) continue;
    auto known = id_by_content_.find(t.content);
    if (known != id_by_content_.end()) {
      t.id = known->second;
    } else {
      t.id = model.token_to_id(t.content);
      if (t.id < 0) {
        if (next_id > kMaxTokenId) return invalid_argument("tokenizer.json: too many added tokens");
        t.id = next_id++;
      }
    }
    id_by_content_[t.content] = t.id;
    auto slot = index_by_id_.find(t.id);
    if (slot != index_by_id_.end()) {
      tokens_[slot->second] = t;
    } else {
      index_by_id_[t.id] = tokens_.size();
      tokens_.push_back(t);
    }
    id_limit_ = std::max(id_limit_, t.id + 1);
    if (t.id >= next_id) next_id = t.id + 1;
  }
  for (size_t k = 0; k < tokens_.size(); ++k) {
    const AddedToken& t = tokens_[k];
    if (!t.normalized) {
      raw_trie_.insert(t.content, static_cast<int32_t>(k));
      continue;
    }
    std::string form = t.content;
    bool at_origin = true;
    if (normalizer) normalizer->normalize(form, at_origin);
    if (!form.empty()) normalized_trie_.insert(form, static_cast<int32_t>(k));
  }
  return Status::ok();
}

void AddedVocabulary::split(std::string_view text, bool normalized_set, bool parse_special,
                            std::vector<Segment>& out) const {
  const ByteTrie& trie = normalized_set ? normalized_trie_ : raw_trie_;
  size_t done = 0;  // end of the last emitted segment
  for (size_t pos = 0; pos < text.size() && !trie.empty();) {
    if (!trie.starts_with(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    int32_t best = -1;
    size_t best_len = 0;
    trie.prefixes(text.substr(pos), [&](size_t len, int32_t v) {
      best = v;
      best_len = len;
    });
    if (best < 0) {
      ++pos;
      continue;
    }
    const AddedToken& t = tokens_[size_t(best)];
    size_t start = pos, stop = pos + best_len;
    pos = stop;  // a skipped match still consumes its text (leftmost-longest iteration)
    if (t.special && !parse_special) continue;
    if (t.single_word) {
      const bool start_ok = start == 0 || !ends_with_word(text.substr(0, start));
      const bool stop_ok = stop == text.size() || !starts_with_word(text.substr(stop));
      if (!start_ok || !stop_ok) continue;
    }
    if (t.lstrip) start = std::max(trailing_space_start(text.substr(0, start)), done);
    if (t.rstrip) stop += leading_space_end(text.substr(stop));
    if (done < start) out.push_back({done, start, -1});
    out.push_back({start, stop, t.id});
    done = stop;
    pos = stop;
  }
  if (done < text.size()) out.push_back({done, text.size(), -1});
}

const AddedToken* AddedVocabulary::by_id(int32_t id) const {
  auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

int32_t AddedVocabulary::id_of(std::string_view content) const {
  auto it = id_by_content_.find(content);
  return it == id_by_content_.end() ? -1 : it->second;
}

}  // namespace mistralrs::hf
