// Unigram as tokenizers' model does it: Viterbi over every vocabulary piece that starts at each
// character (found with a byte trie), scores summed in double; a character no piece covers costs
// min_score - 10 as the unknown token; runs of unknowns fuse; with byte_fallback an unknown
// piece becomes its <0xXX> byte tokens.
#include <limits>

#include "tokenizer/hf/byte_trie.h"
#include "tokenizer/hf/model.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {

constexpr double kUnkPenalty = 10.0;

class UnigramModel final : public Model {
 public:
  Status tokenize(std::string_view w, std::vector<int32_t>& out, void*) const override;
  int32_t token_to_id(std::string_view t) const override {
    auto it = vocab_.find(t);
    return it == vocab_.end() ? -1 : it->second;
  }
  const std::string* id_to_token(int32_t id) const override {
    return id >= 0 && size_t(id) < pieces_.size() ? &pieces_[size_t(id)] : nullptr;
  }
  int32_t id_limit() const override { return static_cast<int32_t>(pieces_.size()); }

  TokenMap vocab_;
  std::vector<std::string> pieces_;
  std::vector<double> scores_;
  ByteTrie trie_;
  double min_score_ = std::numeric_limits<double>::infinity();
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;

 private:
  Status emit(std::string_view piece, std::vector<int32_t>& out) const;
};

Status UnigramModel::tokenize(std::string_view w, std::vector<int32_t>& out, void*) const {
  struct Node {
    int32_t id = -1;
    double score = 0;
    int64_t start = -1;
  };
  const size_t n = w.size();
  std::vector<Node> best(n + 1);
  const double unk_score = min_score_ - kUnkPenalty;
  for (size_t at = 0; at < n;) {
    const double here = best[at].score;
    const size_t mblen = char_len(static_cast<unsigned char>(w[at]));
    bool single = false;
    trie_.prefixes(w.substr(at), [&](size_t len, int32_t id) {
      Node& t = best[at + len];
      const double cand = scores_[size_t(id)] + here;
      if (t.start < 0 || cand > t.score) t = {id, cand, static_cast<int64_t>(at)};
      if (len == mblen) single = true;
    });
    if (!single) {
      if (unk_id_ < 0) return invalid_argument("tokenizer.json: Unigram text needs the unknown token but unk_id is not set");
      Node& t = best[at + mblen];
      const double cand = unk_score + here;
      if (t.start < 0 || cand > t.score) t = {unk_id_, cand, static_cast<int64_t>(at)};
    }
    at += mblen;
  }
  // Walk back; consecutive unknowns fuse into one piece.
  std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) of each output piece, reversed
  bool in_unk = false;
  for (size_t end = n; end > 0;) {
    const Node& node = best[end];
    const size_t start = static_cast<size_t>(node.start);
    const bool unk = unk_id_ >= 0 && node.id == unk_id_;
    if (unk && in_unk) spans.back().first = start;
    else spans.emplace_back(start, end);
    in_unk = unk;
    end = start;
  }
  for (size_t k = spans.size(); k-- > 0;) {
    MISTRALRS_RETURN_IF_ERROR(emit(w.substr(spans[k].first, spans[k].second - spans[k].first), out));
  }
  return Status::ok();
}

Status UnigramModel::emit(std::string_view piece, std::vector<int32_t>& out) const {
  const int32_t id = token_to_id(piece);
  if (id >= 0) {
    out.push_back(id);
    return Status::ok();
  }
  if (byte_fallback_) {
    const size_t mark = out.size();
    bool all = true;
    for (unsigned char c : piece) {
      static const char* kHex = "0123456789ABCDEF";
      const int32_t b = token_to_id(std::string("<0x") + kHex[c >> 4] + kHex[c & 15] + ">");
      if (b < 0) {
        all = false;
        break;
      }
      out.push_back(b);
    }
    if (all) return Status::ok();
    out.resize(mark);
  }
  if (unk_id_ < 0) return invalid_argument("tokenizer.json: Unigram text needs the unknown token but unk_id is not set");
  out.push_back(unk_id_);
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Model>> parse_unigram(const Json& j) {
  auto m = std::make_unique<UnigramModel>();
  const std::string where = "model";
  auto it = j.find("vocab");
  if (it == j.end() || !it->is_array()) return invalid_argument("tokenizer.json: Unigram vocab must be an array of [piece, score]");
  if (it->empty()) return invalid_argument("tokenizer.json: Unigram vocab is empty");
  if (it->size() > size_t(kMaxTokenId)) return invalid_argument("tokenizer.json: Unigram vocab is too large");
  for (const Json& e : *it) {
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
      return invalid_argument("tokenizer.json: Unigram vocab entry must be [piece, score]");
    }
    const auto id = static_cast<int32_t>(m->pieces_.size());
    m->pieces_.push_back(e[0].get<std::string>());
    m->scores_.push_back(e[1].get<double>());
    m->vocab_[m->pieces_.back()] = id;
    m->trie_.insert(m->pieces_.back(), id);
    m->min_score_ = std::min(m->min_score_, m->scores_.back());
  }
  int64_t unk = -1;
  MISTRALRS_RETURN_IF_ERROR(read_int(j, "unk_id", where, 0, static_cast<int64_t>(m->pieces_.size()) - 1, unk));
  m->unk_id_ = static_cast<int32_t>(unk);
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "byte_fallback", where, m->byte_fallback_));
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace mistralrs::hf
