// DRY ("don't repeat yourself", p-e-w, text-generation-webui PR 5677): penalises the token
// that would extend a repeat of earlier text.
//
// For the window w[0..m) of the last N tokens (w[m-1] the newest), a candidate c gets
//   multiplier * base^(n - allowed_length)   when n >= allowed_length,
// where n is the longest run of newest tokens w[m-n..m) that also ends at an earlier
// position j (w[j-n+1..j] == w[m-n..m), overlaps allowed) with w[j+1] == c; per candidate
// the maximum over j, never the sum. Runs may not reach back past the most recent
// sequence breaker (see DryBreakerTable), and single-token breakers are never penalised.
//
// Cost per sampled token: O(m) for the breaker scan and the Z-array, plus
// O(r log r) to reduce the r positions that reach allowed_length. DRY reads token ids only
// and returns sparse (token, delta) changes, so a GPU path can apply them in place.
#pragma once
#include <cstdint>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sampling/candidates.h"
#include "sampling/sampler_params.h"
#include "tokenizer/tokenizer.h"

namespace mistralrs {

// Breakers as the vocabulary sees them, built once per (vocabulary, breaker list):
//  - a token whose text (raw bytes: byte tokens as their byte, SentencePiece's U+2581 as
//    a space, special tokens as their text) contains a whole breaker is a single-token
//    breaker;
//  - a token whose text ends with a proper prefix of a breaker is a head; its tail is the
//    tokenization of the rest of the breaker (at most kDryMaxTailTokens tokens).
// Token breakers from the caller (head, then tail) are taken as given.
class DryBreakerTable {
 public:
  static Expected<DryBreakerTable> build(std::span<const DryBreaker> breakers, const Tokenizer* tokenizer);

  bool is_breaker(int32_t token) const { return kind(token) & kSingle; }
  bool is_head(int32_t token) const { return kind(token) & kHead; }
  // The tails of a head (empty when `token` is not one).
  std::span<const std::vector<int32_t>> tails(int32_t token) const;
  // Scanning back from the newest token, the first position holding a single-token
  // breaker, or a head followed by one of its tails, ends the usable text: returns the
  // number of tokens after that breaker's last token (window.size() when none). 0 means
  // the newest token ends a breaker.
  size_t tokens_since_breaker(std::span<const int32_t> window) const;

  size_t n_single() const { return n_single_; }
  size_t n_heads() const { return tails_.size(); }

 private:
  static constexpr uint8_t kSingle = 1, kHead = 2;
  uint8_t kind(int32_t t) const {
    return t >= 0 && static_cast<size_t>(t) < kind_.size() ? kind_[static_cast<size_t>(t)] : 0;
  }
  void add_single(int32_t token);
  void add_head(int32_t head, std::vector<int32_t> tail);
  Status add_text_breakers(const std::vector<std::string>& texts, const Tokenizer& tok);

  std::vector<uint8_t> kind_;  // by token id
  std::unordered_map<int32_t, std::vector<std::vector<int32_t>>> tails_;
  size_t n_single_ = 0;
};

// The tokens a tokenizer gives for `text` in the middle of a text (without SentencePiece's
// leading-space artefact), at most kDryMaxTailTokens of them.
Expected<std::vector<int32_t>> dry_tail_tokens(const Tokenizer& tok, const std::string& text);

// z[i] = length of the longest common prefix of s and s[i..]; z[0] = |s|. O(|s|).
void z_array(std::span<const int32_t> s, std::vector<int32_t>& z);

struct DryScratch {
  std::vector<int32_t> reversed, z, lengths;
  std::vector<std::pair<int32_t, int32_t>> hits;  // (candidate, repeat length)
};

// lengths[j] for 0 <= j < m-1: the longest suffix of `window` that also ends at j, capped at
// `limit`. Through z_array of the reversed window: a suffix ending at j is a prefix of
// the reversed window starting at m-1-j.
void dry_repeat_lengths(std::span<const int32_t> window, size_t limit, DryScratch& s);

// multiplier * base^(n - allowed_length) with the exponent clamped so that the result is
// at most FLT_MAX (in particular base^e stays below FLT_MAX); 0 below allowed_length.
float dry_penalty(const DryParams& p, int32_t n);

// The DRY logit changes for the next token after `window`: one (token, -penalty) per
// penalised candidate, sorted by token. `p` must be enabled and valid.
void dry_deltas(std::span<const int32_t> window, const DryBreakerTable& table, const DryParams& p, DryScratch& s,
                std::vector<LogitDelta>& out);

}  // namespace mistralrs
