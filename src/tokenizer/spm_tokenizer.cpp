#include "tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "tokenizer/utf8_stream.h"

namespace mistralrs {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's word boundary

std::string escape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == ' ') out += kSpace;
    else out += c;
  }
  return out;
}

// A symbol in the merge list: a byte range of the escaped text, linked to its neighbours.
struct Symbol {
  size_t begin, len;
  int prev, next;
};

struct Bigram {
  float score;
  int left;
  size_t len;  // merged length: stale entries are recognised by a length mismatch
  bool operator<(const Bigram& o) const {
    return score != o.score ? score < o.score : left > o.left;  // max score, then leftmost
  }
};

}  // namespace

Expected<std::unique_ptr<SpmTokenizer>> SpmTokenizer::create(Vocabulary vocab, std::string origin) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return invalid_argument(origin + ": empty vocabulary");
  if (!vocab.scores.empty() && vocab.scores.size() != n)
    return invalid_argument(origin + ": " + std::to_string(vocab.scores.size()) + " scores for " +
                            std::to_string(n) + " tokens");
  if (!vocab.types.empty() && vocab.types.size() != n)
    return invalid_argument(origin + ": " + std::to_string(vocab.types.size()) + " token types for " +
                            std::to_string(n) + " tokens");
  for (int32_t id : {vocab.bos, vocab.eos, vocab.unk})
    if (id >= static_cast<int32_t>(n)) return invalid_argument(origin + ": special token id " + std::to_string(id) + " out of range");
  auto t = std::unique_ptr<SpmTokenizer>(new SpmTokenizer());
  t->v_ = std::move(vocab);
  std::fill(std::begin(t->byte_ids_), std::end(t->byte_ids_), -1);
  for (size_t i = 0; i < n; ++i) {
    const std::string& s = t->v_.tokens[i];
    const auto id = static_cast<int32_t>(i);
    const TokenType ty = t->type(id);
    t->piece_to_id_.emplace(s, id);  // the first id wins for duplicate pieces
    unsigned byte = 0;
    if (ty == TokenType::kByte && s.size() == 6 && std::sscanf(s.c_str(), "<0x%02X>", &byte) == 1)
      t->byte_ids_[byte] = id;
    if ((ty == TokenType::kControl || ty == TokenType::kUserDefined) && !s.empty())
      t->specials_.push_back(id);
  }
  std::stable_sort(t->specials_.begin(), t->specials_.end(), [&](int32_t a, int32_t b) {
    return t->v_.tokens[static_cast<size_t>(a)].size() > t->v_.tokens[static_cast<size_t>(b)].size();
  });
  return t;
}

TokenType SpmTokenizer::type(int32_t id) const {
  return v_.types.empty() ? TokenType::kNormal : v_.types[static_cast<size_t>(id)];
}

void SpmTokenizer::emit_piece(std::string_view piece, std::vector<int32_t>& out) const {
  auto it = piece_to_id_.find(std::string(piece));
  if (it != piece_to_id_.end() && type(it->second) != TokenType::kUnused) {
    out.push_back(it->second);
    return;
  }
  for (unsigned char c : piece) {
    if (byte_ids_[c] >= 0) out.push_back(byte_ids_[c]);
    else if (v_.unk >= 0) out.push_back(v_.unk);
  }
}

void SpmTokenizer::encode_segment(std::string_view raw, std::vector<int32_t>& out) const {
  const std::string text = escape_spaces(raw);
  std::vector<Symbol> sym;
  for (size_t i = 0; i < text.size();) {
    int len = utf8_char_length(std::string_view(text).substr(i));
    if (len <= 0) len = 1;  // invalid byte: a symbol of its own (byte fallback later)
    sym.push_back({i, static_cast<size_t>(len), static_cast<int>(sym.size()) - 1, static_cast<int>(sym.size()) + 1});
    i += static_cast<size_t>(len);
  }
  if (sym.empty()) return;
  sym.back().next = -1;
  std::priority_queue<Bigram> queue;
  auto try_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t len = sym[static_cast<size_t>(left)].len + sym[static_cast<size_t>(right)].len;
    auto it = piece_to_id_.find(text.substr(sym[static_cast<size_t>(left)].begin, len));
    if (it == piece_to_id_.end()) return;
    const float score = v_.scores.empty() ? 0.0f : v_.scores[static_cast<size_t>(it->second)];
    queue.push({score, left, len});
  };
  for (size_t i = 1; i < sym.size(); ++i) try_pair(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = sym[static_cast<size_t>(b.left)];
    if (l.len == 0 || l.next < 0) continue;
    Symbol& r = sym[static_cast<size_t>(l.next)];
    if (l.len + r.len != b.len) continue;  // one side changed since this pair was queued
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = b.left;
    try_pair(l.prev, b.left);
    try_pair(b.left, l.next);
  }
  for (int i = 0; i >= 0; i = sym[static_cast<size_t>(i)].next)
    emit_piece(std::string_view(text).substr(sym[static_cast<size_t>(i)].begin, sym[static_cast<size_t>(i)].len), out);
}

Expected<std::vector<int32_t>> SpmTokenizer::encode(std::string_view text, bool add_special,
                                                    bool parse_special) const {
  std::vector<int32_t> out;
  if (add_special && v_.add_bos && v_.bos >= 0) out.push_back(v_.bos);
  bool prev_special = true;  // the first text segment gets the space prefix too
  size_t start = 0;
  auto flush_text = [&](size_t end) {
    if (end <= start) return;
    std::string seg;
    if (v_.add_space_prefix && prev_special) seg = " ";
    seg.append(text.substr(start, end - start));
    encode_segment(seg, out);
    prev_special = false;
  };
  if (parse_special) {
    for (size_t i = 0; i < text.size();) {
      int32_t hit = -1;
      for (int32_t id : specials_) {
        const std::string& s = v_.tokens[static_cast<size_t>(id)];
        if (text.compare(i, s.size(), s) == 0) {
          hit = id;
          break;
        }
      }
      if (hit < 0) {
        ++i;
        continue;
      }
      flush_text(i);
      out.push_back(hit);
      prev_special = true;
      i += v_.tokens[static_cast<size_t>(hit)].size();
      start = i;
    }
  }
  flush_text(text.size());
  if (add_special && v_.add_eos && v_.eos >= 0) out.push_back(v_.eos);
  return out;
}

std::string SpmTokenizer::token_bytes(int32_t id, bool render_special) const {
  if (id < 0 || id >= vocab_size()) return "";
  const std::string& s = v_.tokens[static_cast<size_t>(id)];
  switch (type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUnused:
      return render_special ? s : "";
    case TokenType::kByte: {
      unsigned byte = 0;
      if (std::sscanf(s.c_str(), "<0x%02X>", &byte) == 1) return std::string(1, static_cast<char>(byte));
      return s;
    }
    default: break;
  }
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, kSpace.size(), kSpace) == 0) {
      out += ' ';
      i += kSpace.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace mistralrs
