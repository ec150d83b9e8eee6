#include "tokenizer/hf/pre_tokenizers.h"

#include <algorithm>
#include <array>
#include <functional>

#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

void spans_to_matches(const std::vector<Span>& spans, size_t text_size, bool invert, std::vector<Match>& out) {
  out.clear();
  if (text_size == 0) {
    out.push_back({0, 0, invert});
    return;
  }
  size_t prev = 0;
  for (const Span& s : spans) {
    if (prev != s.first) out.push_back({prev, s.first, invert});
    out.push_back({s.first, s.second, !invert});
    prev = s.second;
  }
  if (prev != text_size) out.push_back({prev, text_size, invert});
}

void split_piece(Piece&& in, const std::vector<Match>& matches, SplitBehavior behavior, std::vector<Piece>& out) {
  // Each entry: a [begin, end) range and whether it is removed.
  std::vector<Match> parts;
  parts.reserve(matches.size());
  bool prev_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
    case SplitBehavior::kIsolated:
      for (const Match& m : matches) parts.push_back({m.begin, m.end, behavior == SplitBehavior::kRemoved && m.is_match});
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Match& m : matches) {
        if (m.is_match && !prev_match && !parts.empty()) parts.back().end = m.end;
        else parts.push_back({m.begin, m.end, false});
        prev_match = m.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (size_t k = matches.size(); k-- > 0;) {
        const Match& m = matches[k];
        if (m.is_match && !prev_match && !parts.empty()) parts.back().begin = m.begin;
        else parts.push_back({m.begin, m.end, false});
        prev_match = m.is_match;
      }
      std::reverse(parts.begin(), parts.end());
      break;
    case SplitBehavior::kContiguous:
      for (const Match& m : matches) {
        if (m.is_match == prev_match && !parts.empty()) parts.back().end = m.end;
        else parts.push_back({m.begin, m.end, false});
        prev_match = m.is_match;
      }
      break;
  }
  if (parts.size() == 1 && !parts[0].is_match && parts[0].begin == 0 && parts[0].end == in.text.size()) {
    if (!in.text.empty()) out.push_back(std::move(in));
    return;
  }
  for (const Match& p : parts) {
    if (p.is_match || p.begin == p.end) continue;
    out.push_back({in.text.substr(p.begin, p.end - p.begin), in.at_origin && p.begin == 0});
  }
}

namespace {

// One match per character for which pred holds (tokenizers' Fn(char) -> bool pattern).
void char_matches(const std::string& text, const std::function<bool(char32_t)>& pred, std::vector<Match>& out) {
  out.clear();
  size_t last = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t b = i;
    const char32_t c = next_char(text, i);
    if (!pred(c)) continue;
    if (last < b) out.push_back({last, b, false});
    out.push_back({b, i, true});
    last = i;
  }
  if (last < text.size()) out.push_back({last, text.size(), false});
}

class CharSplit final : public PreTokenizer {
 public:
  CharSplit(std::function<bool(char32_t)> pred, SplitBehavior b) : pred_(std::move(pred)), behavior_(b) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    std::vector<Match> m;
    for (Piece& p : pieces) {
      char_matches(p.text, pred_, m);
      split_piece(std::move(p), m, behavior_, out);
    }
    pieces.swap(out);
  }

 private:
  std::function<bool(char32_t)> pred_;
  SplitBehavior behavior_;
};

class RegexSplit final : public PreTokenizer {
 public:
  RegexSplit(std::unique_ptr<Regex> re, SplitBehavior b, bool invert)
      : re_(std::move(re)), behavior_(b), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    std::vector<Span> spans;
    std::vector<Match> m;
    for (Piece& p : pieces) {
      spans.clear();
      re_->find_all(p.text, spans);
      spans_to_matches(spans, p.text.size(), invert_, m);
      split_piece(std::move(p), m, behavior_, out);
    }
    pieces.swap(out);
  }

 private:
  std::unique_ptr<Regex> re_;
  SplitBehavior behavior_;
  bool invert_;
};

// tokenizers' Whitespace: the Rust regex \w+|[^\w\s]+ (Unicode \w, which unlike Oniguruma's
// includes the joiners U+200C/U+200D); whitespace between the runs is removed.
class WhitespacePre final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    for (Piece& p : pieces) {
      const std::string& t = p.text;
      size_t i = 0;
      while (i < t.size()) {
        size_t b = i;
        const char32_t c = next_char(t, i);
        if (is_whitespace(c)) continue;
        const bool word = is_word_char(c);
        size_t e = i;
        while (e < t.size()) {
          size_t k = e;
          const char32_t d = next_char(t, k);
          if (word ? !is_word_char(d) : (is_word_char(d) || is_whitespace(d))) break;
          e = k;
        }
        out.push_back({t.substr(b, e - b), p.at_origin && b == 0});
        i = e;
      }
    }
    pieces.swap(out);
  }
};

struct ByteTable {
  std::array<std::string, 256> to_char;
  std::array<int, 324> to_byte;  // every mapped code point is below 324
  ByteTable() {
    to_byte.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
      append_utf8(to_char[b], c);
      to_byte[c] = b;
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable t;
  return t;
}

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPre final : public PreTokenizer {
 public:
  ByteLevelPre(bool prefix, std::unique_ptr<Regex> re) : prefix_(prefix), re_(std::move(re)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (prefix_) {
      for (Piece& p : pieces) {
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, 1, ' ');
      }
    }
    if (re_) {
      std::vector<Piece> out;
      std::vector<Span> spans;
      std::vector<Match> m;
      for (Piece& p : pieces) {
        spans.clear();
        re_->find_all(p.text, spans);
        spans_to_matches(spans, p.text.size(), false, m);
        split_piece(std::move(p), m, SplitBehavior::kIsolated, out);
      }
      pieces.swap(out);
    }
    const ByteTable& t = byte_table();
    for (Piece& p : pieces) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char b : p.text) mapped += t.to_char[b];
      p.text.swap(mapped);
    }
  }

 private:
  bool prefix_;
  std::unique_ptr<Regex> re_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePre final : public PreTokenizer {
 public:
  MetaspacePre(std::string rep, PrependScheme s, bool split) : rep_(std::move(rep)), scheme_(s), split_(split) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    std::vector<Piece> out;
    std::vector<Match> m;
    const char32_t rep_char = [&] { size_t i = 0; return next_char(rep_, i); }();
    for (Piece& p : pieces) {
      std::string t;
      t.reserve(p.text.size() + rep_.size());
      for (char c : p.text) {
        if (c == ' ') t += rep_;
        else t.push_back(c);
      }
      const bool starts = t.compare(0, rep_.size(), rep_) == 0;
      if (!starts && (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && p.at_origin))) {
        t.insert(0, rep_);
      }
      p.text.swap(t);
      if (!split_) {
        out.push_back(std::move(p));
        continue;
      }
      char_matches(p.text, [rep_char](char32_t c) { return c == rep_char; }, m);
      split_piece(std::move(p), m, SplitBehavior::kMergedWithNext, out);
    }
    pieces.swap(out);
  }

 private:
  std::string rep_;
  PrependScheme scheme_;
  bool split_;
};

class SequencePre final : public PreTokenizer {
 public:
  explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> v) : items_(std::move(v)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : items_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

Status read_behavior(const Json& j, const std::string& where, SplitBehavior& b) {
  std::string s;
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "behavior", where, s));
  if (s.empty()) return Status::ok();
  if (s == "Removed") b = SplitBehavior::kRemoved;
  else if (s == "Isolated") b = SplitBehavior::kIsolated;
  else if (s == "MergedWithPrevious") b = SplitBehavior::kMergedWithPrevious;
  else if (s == "MergedWithNext") b = SplitBehavior::kMergedWithNext;
  else if (s == "Contiguous") b = SplitBehavior::kContiguous;
  else return invalid_argument("tokenizer.json: " + where + ".behavior '" + s + "' is unknown");
  return Status::ok();
}

using PreResult = Expected<std::unique_ptr<PreTokenizer>>;
template <class T, class... A>
PreResult make(A&&... a) {
  return std::unique_ptr<PreTokenizer>(new T(std::forward<A>(a)...));
}

PreResult parse_metaspace(const Json& j, const std::string& where) {
  std::string rep = "\xE2\x96\x81";
  MISTRALRS_RETURN_IF_ERROR(read_char(j, "replacement", where, rep));
  bool split = true, legacy_prefix = true;
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "split", where, split));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "add_prefix_space", where, legacy_prefix));
  std::string scheme;
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "prepend_scheme", where, scheme));
  PrependScheme s = legacy_prefix ? PrependScheme::kAlways : PrependScheme::kNever;
  if (scheme == "always") s = PrependScheme::kAlways;
  else if (scheme == "first") s = PrependScheme::kFirst;
  else if (scheme == "never") s = PrependScheme::kNever;
  else if (!scheme.empty()) return invalid_argument("tokenizer.json: Metaspace prepend_scheme '" + scheme + "' is unknown");
  return make<MetaspacePre>(std::move(rep), s, split);
}

PreResult parse_split(const Json& j, const std::string& where) {
  std::string pattern;
  bool is_regex = false, invert = false;
  SplitBehavior b = SplitBehavior::kIsolated;
  MISTRALRS_RETURN_IF_ERROR(read_pattern(j, "pattern", where, pattern, is_regex));
  MISTRALRS_RETURN_IF_ERROR(read_behavior(j, where, b));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "invert", where, invert));
  auto re = is_regex ? Regex::compile(pattern) : Regex::literal(pattern);
  if (!re) return re.status();
  return make<RegexSplit>(std::move(re.value()), b, invert);
}

}  // namespace

const std::string& byte_to_char_utf8(unsigned char b) { return byte_table().to_char[b]; }

int char_to_byte(char32_t c) { return c < 324 ? byte_table().to_byte[c] : -1; }

Expected<std::unique_ptr<PreTokenizer>> parse_pre_tokenizer(const Json& j, int depth) {
  if (j.is_null()) return std::unique_ptr<PreTokenizer>();
  const std::string where = "pre_tokenizer";
  std::string type;
  MISTRALRS_RETURN_IF_ERROR(read_type(j, where, type));
  if (type == "ByteLevel") {
    bool prefix = true, use_regex = true;
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "add_prefix_space", where, prefix));
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "use_regex", where, use_regex));
    std::unique_ptr<Regex> re;
    if (use_regex) {
      auto r = Regex::compile(kGpt2Pattern);
      if (!r) return r.status();
      re = std::move(r.value());
    }
    return make<ByteLevelPre>(prefix, std::move(re));
  }
  if (type == "Metaspace") return parse_metaspace(j, where);
  if (type == "Split") return parse_split(j, where);
  if (type == "Digits") {
    bool individual = false;
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "individual_digits", where, individual));
    return make<CharSplit>(is_numeric, individual ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
  }
  if (type == "Punctuation") {
    SplitBehavior b = SplitBehavior::kIsolated;
    MISTRALRS_RETURN_IF_ERROR(read_behavior(j, where, b));
    return make<CharSplit>(is_punctuation, b);
  }
  if (type == "WhitespaceSplit") return make<CharSplit>(is_whitespace, SplitBehavior::kRemoved);
  if (type == "Whitespace") return make<WhitespacePre>();
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> v;
    v.emplace_back(new CharSplit(is_whitespace, SplitBehavior::kRemoved));
    v.emplace_back(new CharSplit(is_punctuation, SplitBehavior::kIsolated));
    return make<SequencePre>(std::move(v));
  }
  if (type == "Sequence") {
    auto v = parse_sequence_members<PreTokenizer>(j, "pretokenizers", "pre-tokenizer", depth, parse_pre_tokenizer);
    if (!v) return v.status();
    return make<SequencePre>(std::move(v.value()));
  }
  return unsupported("tokenizer.json: pre-tokenizer type '" + type + "' is not supported");
}

}  // namespace mistralrs::hf
