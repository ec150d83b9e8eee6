// The DRY breaker table: which tokens are breakers on their own, which are heads of a
// breaker that continues in the next tokens, and the scan for the most recent breaker.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "sampling/dry.h"

namespace mistralrs {

namespace {

std::string concat_bytes(const Tokenizer& tok, const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += tok.token_bytes(id, true);
  return s;
}

// Longest-match tokenization of a text against the vocabulary's (non-special) token bytes.
// The byte-to-id map is built on first use only: most tails never need it.
class GreedyMatcher {
 public:
  explicit GreedyMatcher(const Tokenizer& tok) : tok_(tok) {}
  // Empty when some byte has no token.
  std::vector<int32_t> split(const std::string& text) {
    if (by_bytes_.empty()) build();
    std::vector<int32_t> out;
    for (size_t at = 0; at < text.size();) {
      size_t len = std::min(text.size() - at, kDryMaxBreakerBytes);
      for (; len > 0; --len) {
        auto it = by_bytes_.find(text.substr(at, len));
        if (it == by_bytes_.end()) continue;
        out.push_back(it->second);
        break;
      }
      if (len == 0) return {};
      at += len;
    }
    return out;
  }

 private:
  void build() {
    for (int32_t id = 0; id < tok_.vocab_size(); ++id) {
      std::string b = tok_.token_bytes(id, false);
      // Equal bytes: the later id wins. SentencePiece vocabularies put the byte-fallback
      // tokens <0x00>..<0xFF> first (ids 3..258); a normal piece with the same bytes (":")
      // comes later and is the one the encoder produces.
      if (!b.empty() && b.size() <= kDryMaxBreakerBytes) by_bytes_[std::move(b)] = id;
    }
  }
  const Tokenizer& tok_;
  std::unordered_map<std::string, int32_t> by_bytes_;
};

Expected<std::vector<int32_t>> tail_tokens(const Tokenizer& tok, const std::string& text, GreedyMatcher& greedy) {
  auto enc = tok.encode(text, /*add_special=*/false, /*parse_special=*/false);
  if (!enc) return enc.status();
  std::vector<int32_t> ids = std::move(enc.value());
  // SentencePiece vocabularies prefix a space to the start of a text; the tail follows a
  // head mid-text, where no such space is inserted. A lone space token is simply dropped;
  // a space merged into the first piece (" :" for ":") means the pieces differ mid-text,
  // and the longest-match split over the vocabulary stands in for them.
  if (concat_bytes(tok, ids) != text) {
    if (!ids.empty() && tok.token_bytes(ids[0], true) == " " && concat_bytes(tok, {ids.begin() + 1, ids.end()}) == text) {
      ids.erase(ids.begin());
    } else if (std::vector<int32_t> g = greedy.split(text); !g.empty()) {
      ids = std::move(g);
    }
  }
  if (ids.size() > kDryMaxTailTokens) ids.resize(kDryMaxTailTokens);
  return ids;
}

}  // namespace

Expected<std::vector<int32_t>> dry_tail_tokens(const Tokenizer& tok, const std::string& text) {
  GreedyMatcher greedy(tok);
  return tail_tokens(tok, text, greedy);
}

void DryBreakerTable::add_single(int32_t token) {
  if (static_cast<size_t>(token) >= kind_.size()) kind_.resize(static_cast<size_t>(token) + 1, 0);
  if (!(kind_[static_cast<size_t>(token)] & kSingle)) ++n_single_;
  kind_[static_cast<size_t>(token)] |= kSingle;
}

void DryBreakerTable::add_head(int32_t head, std::vector<int32_t> tail) {
  if (tail.empty()) return add_single(head);  // an empty tail always matches
  if (static_cast<size_t>(head) >= kind_.size()) kind_.resize(static_cast<size_t>(head) + 1, 0);
  kind_[static_cast<size_t>(head)] |= kHead;
  auto& list = tails_[head];
  if (std::find(list.begin(), list.end(), tail) == list.end()) list.push_back(std::move(tail));
}

Status DryBreakerTable::add_text_breakers(const std::vector<std::string>& texts, const Tokenizer& tok) {
  // Tails depend only on (breaker, split point): tokenize each distinct rest once.
  std::map<std::pair<size_t, size_t>, std::vector<int32_t>> tail_cache;
  GreedyMatcher greedy(tok);
  auto tail_for = [&](size_t bi, size_t prefix_len) -> Expected<std::vector<int32_t>> {
    auto key = std::make_pair(bi, prefix_len);
    if (auto it = tail_cache.find(key); it != tail_cache.end()) return it->second;
    auto t = tail_tokens(tok, texts[bi].substr(prefix_len), greedy);
    if (!t) return t.status();
    return tail_cache.emplace(key, std::move(t.value())).first->second;
  };
  kind_.resize(std::max(kind_.size(), static_cast<size_t>(std::max(tok.vocab_size(), 0))), 0);
  for (int32_t id = 0; id < tok.vocab_size(); ++id) {
    const std::string piece = tok.token_bytes(id, /*render_special=*/true);
    if (piece.empty()) continue;
    for (size_t bi = 0; bi < texts.size(); ++bi) {
      const std::string& b = texts[bi];
      if (piece.find(b) != std::string::npos) {
        add_single(id);
        continue;
      }
      // Every proper prefix of b that the piece ends with makes it a head ("\n" for "\n\n",
      // "User" and "Us" for "User:").
      for (size_t len = std::min(b.size() - 1, piece.size()); len > 0; --len) {
        if (piece.compare(piece.size() - len, len, b, 0, len) != 0) continue;
        auto tail = tail_for(bi, len);
        if (!tail) return tail.status();
        add_head(id, tail.value());
      }
    }
  }
  return Status::ok();
}

Expected<DryBreakerTable> DryBreakerTable::build(std::span<const DryBreaker> breakers, const Tokenizer* tokenizer) {
  DryBreakerTable t;
  std::vector<std::string> texts;
  for (const DryBreaker& b : breakers) {
    MISTRALRS_RETURN_IF_ERROR(check_dry_breaker(b));
    if (b.is_text()) {
      if (std::find(texts.begin(), texts.end(), b.text) == texts.end()) texts.push_back(b.text);
      continue;
    }
    t.add_head(b.tokens[0], std::vector<int32_t>(b.tokens.begin() + 1, b.tokens.end()));
  }
  if (texts.empty()) return t;
  if (!tokenizer)
    return invalid_argument(
        "DRY sequence breakers given as text need a tokenizer; pass one, give the breakers as token ids, or clear "
        "the default breakers (\"\\n\", \":\", \"\\\"\", \"*\")");
  MISTRALRS_RETURN_IF_ERROR(t.add_text_breakers(texts, *tokenizer));
  return t;
}

std::span<const std::vector<int32_t>> DryBreakerTable::tails(int32_t token) const {
  if (!is_head(token)) return {};
  return tails_.at(token);
}

size_t DryBreakerTable::tokens_since_breaker(std::span<const int32_t> window) const {
  const size_t m = window.size();
  for (size_t back = 0; back < m; ++back) {
    const size_t i = m - 1 - back;
    const uint8_t k = kind(window[i]);
    if (k == 0) continue;
    if (k & kSingle) return back;
    // Among the tails that follow this head completely, the longest ends the breaker
    // latest; a tail still being generated (running past the newest token) does not count.
    size_t longest = 0;
    bool matched = false;
    for (const std::vector<int32_t>& tail : tails_.at(window[i])) {
      if (tail.size() > back) continue;
      if (!std::equal(tail.begin(), tail.end(), window.begin() + static_cast<std::ptrdiff_t>(i + 1))) continue;
      matched = true;
      longest = std::max(longest, tail.size());
    }
    if (matched) return back - longest;
  }
  return m;
}

}  // namespace mistralrs
