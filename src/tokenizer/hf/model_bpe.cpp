// Byte-pair encoding as tokenizers' BPE model does it: characters (with the continuing-subword
// prefix / end-of-word suffix) become symbols, unknown characters become <0xXX> byte tokens or
// the unknown token, then the pair with the lowest merge rank (leftmost among equals) is merged
// until none is left. A min-heap over pair ranks and a linked list of symbols make a word of n
// characters cost O(n log n).
#include <algorithm>
#include <queue>

#include "tokenizer/hf/model.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {

struct MergeEntry {
  uint32_t rank;
  int32_t new_id;
};

struct Symbol {
  int32_t id;
  int32_t prev, next;
  bool alive;
};

struct QueueItem {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
  bool operator<(const QueueItem& o) const {  // std::priority_queue is a max-heap: invert
    return rank != o.rank ? rank > o.rank : pos > o.pos;
  }
};

using WordCache = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;
constexpr size_t kCacheMaxWordBytes = 256;
constexpr size_t kCacheMaxWords = 100000;

uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

class BpeModel final : public ObjectVocabModel {
 public:
  Status tokenize(std::string_view piece, std::vector<int32_t>& out, void* cache) const override {
    if (ignore_merges_) {
      auto it = vocab_.find(piece);
      if (it != vocab_.end()) {
        out.push_back(it->second);
        return Status::ok();
      }
    }
    auto* wc = static_cast<WordCache*>(cache);
    if (wc) {
      auto it = wc->find(piece);
      if (it != wc->end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return Status::ok();
      }
    }
    const size_t start = out.size();
    MISTRALRS_RETURN_IF_ERROR(merge_word(piece, out));
    if (wc && piece.size() <= kCacheMaxWordBytes && wc->size() < kCacheMaxWords) {
      wc->emplace(std::string(piece), std::vector<int32_t>(out.begin() + static_cast<ptrdiff_t>(start), out.end()));
    }
    return Status::ok();
  }
  std::shared_ptr<void> new_cache() const override { return std::make_shared<WordCache>(); }
  std::unordered_map<uint64_t, MergeEntry> merges_;
  std::string unk_token_, prefix_, suffix_;
  bool has_unk_ = false, fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  int32_t byte_ids_[256];

 private:
  Status initial_symbols(std::string_view w, std::vector<int32_t>& ids) const;
  Status merge_word(std::string_view w, std::vector<int32_t>& out) const;
};

Status BpeModel::initial_symbols(std::string_view w, std::vector<int32_t>& ids) const {
  int32_t pending_unk = -1;  // an unknown token not yet emitted (fuse_unk joins runs)
  std::string s;
  for (size_t i = 0; i < w.size();) {
    const size_t b = i;
    i += char_len(static_cast<unsigned char>(w[i]));
    std::string_view ch = w.substr(b, i - b);
    std::string_view key = ch;
    if ((b > 0 && !prefix_.empty()) || (i >= w.size() && !suffix_.empty())) {
      s.assign(b > 0 ? prefix_ : std::string());
      s.append(ch);
      if (i >= w.size()) s += suffix_;
      key = s;
    }
    auto it = vocab_.find(key);
    if (it != vocab_.end()) {
      if (pending_unk >= 0) ids.push_back(pending_unk);
      pending_unk = -1;
      ids.push_back(it->second);
      continue;
    }
    if (byte_fallback_) {
      bool all = true;
      for (unsigned char c : key) all &= byte_ids_[c] >= 0;
      if (all) {
        for (unsigned char c : key) ids.push_back(byte_ids_[c]);
        continue;
      }
    }
    if (!has_unk_) continue;
    const int32_t unk = token_to_id(unk_token_);
    if (unk < 0) return invalid_argument("tokenizer.json: BPE unk_token '" + unk_token_ + "' is not in the vocabulary");
    if (pending_unk >= 0 && !fuse_unk_) ids.push_back(pending_unk);
    pending_unk = unk;
  }
  if (pending_unk >= 0) ids.push_back(pending_unk);
  return Status::ok();
}

Status BpeModel::merge_word(std::string_view w, std::vector<int32_t>& out) const {
  std::vector<int32_t> ids;
  ids.reserve(w.size());
  MISTRALRS_RETURN_IF_ERROR(initial_symbols(w, ids));
  const int32_t n = static_cast<int32_t>(ids.size());
  if (n <= 1) {
    out.insert(out.end(), ids.begin(), ids.end());
    return Status::ok();
  }
  std::vector<Symbol> sym(static_cast<size_t>(n));
  for (int32_t k = 0; k < n; ++k) sym[size_t(k)] = {ids[size_t(k)], k - 1, k + 1 < n ? k + 1 : -1, true};
  std::vector<QueueItem> heap_storage;
  heap_storage.reserve(static_cast<size_t>(n) * 2);
  std::priority_queue<QueueItem> queue(std::less<QueueItem>(), std::move(heap_storage));
  auto push_pair = [&](int32_t pos) {
    const Symbol& a = sym[size_t(pos)];
    if (a.next < 0) return;
    auto it = merges_.find(pair_key(a.id, sym[size_t(a.next)].id));
    if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.new_id});
  };
  for (int32_t k = 0; k + 1 < n; ++k) push_pair(k);
  while (!queue.empty()) {
    const QueueItem top = queue.top();
    queue.pop();
    Symbol& a = sym[size_t(top.pos)];
    if (!a.alive || a.next < 0) continue;
    Symbol& b = sym[size_t(a.next)];
    auto it = merges_.find(pair_key(a.id, b.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // stale entry
    a.id = top.new_id;
    b.alive = false;
    a.next = b.next;
    if (b.next >= 0) sym[size_t(b.next)].prev = top.pos;
    if (a.prev >= 0) push_pair(a.prev);
    push_pair(top.pos);
  }
  for (const Symbol& s : sym) {
    if (s.alive) out.push_back(s.id);
  }
  return Status::ok();
}

Status read_merges(const Json& j, BpeModel& m) {
  auto it = j.find("merges");
  if (it == j.end() || !it->is_array()) return invalid_argument("tokenizer.json: BPE model needs a \"merges\" array");
  m.merges_.reserve(it->size());
  uint32_t rank = 0;
  std::string a, b;
  for (const Json& e : *it) {
    if (e.is_string()) {
      const std::string& line = e.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;
      const size_t sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos) {
        return invalid_argument("tokenizer.json: BPE merge " + std::to_string(rank + 1) + " '" + line + "' is not two tokens");
      }
      a = line.substr(0, sp);
      b = line.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      a = e[0].get<std::string>();
      b = e[1].get<std::string>();
    } else {
      return invalid_argument("tokenizer.json: BPE merge " + std::to_string(rank + 1) + " must be \"a b\" or [a, b]");
    }
    const int32_t ia = m.token_to_id(a), ib = m.token_to_id(b);
    if (ia < 0 || ib < 0) return invalid_argument("tokenizer.json: BPE merge '" + a + " " + b + "' uses a token missing from the vocabulary");
    if (b.size() < m.prefix_.size()) return invalid_argument("tokenizer.json: BPE merge '" + a + " " + b + "' is shorter than the subword prefix");
    const int32_t merged = m.token_to_id(a + b.substr(m.prefix_.size()));
    if (merged < 0) return invalid_argument("tokenizer.json: BPE merge '" + a + " " + b + "' makes a token missing from the vocabulary");
    m.merges_[pair_key(ia, ib)] = {rank, merged};
    ++rank;
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Model>> parse_bpe(const Json& j) {
  auto m = std::make_unique<BpeModel>();
  const std::string where = "model";
  MISTRALRS_RETURN_IF_ERROR(read_vocab_object(j, where, m->vocab_, m->by_id_, m->present_));
  double dropout = 0;
  MISTRALRS_RETURN_IF_ERROR(read_double(j, "dropout", where, dropout));
  if (dropout != 0) return unsupported("tokenizer.json: BPE dropout is random; only null or 0 is supported");
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "continuing_subword_prefix", where, m->prefix_));
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "end_of_word_suffix", where, m->suffix_));
  m->has_unk_ = j.contains("unk_token") && !j["unk_token"].is_null();
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "unk_token", where, m->unk_token_));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "fuse_unk", where, m->fuse_unk_));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "byte_fallback", where, m->byte_fallback_));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "ignore_merges", where, m->ignore_merges_));
  for (int b = 0; b < 256; ++b) {
    static const char* kHex = "0123456789ABCDEF";
    const std::string name = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
    m->byte_ids_[b] = m->token_to_id(name);
  }
  MISTRALRS_RETURN_IF_ERROR(read_merges(j, *m));
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace mistralrs::hf
