#include "tokenizer/hf/decoders.h"

#include "tokenizer/hf/pre_tokenizers.h"
#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {

using Tokens = std::vector<std::string>;

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      const size_t mark = bytes.size();
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        const int b = char_to_byte(next_char(t, i));
        if (b < 0) all = false;
        else bytes.push_back(static_cast<char>(b));
      }
      if (!all) bytes.replace(mark, std::string::npos, t);
    }
    tokens.assign(1, o.raw_bytes ? bytes : utf8_lossy(bytes));
  }
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string rep, bool prepends) : rep_(std::move(rep)), prepends_(prepends) {}
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const bool drop = i == 0 && prepends_ && !o.continuation;
      std::string out;
      const std::string& t = tokens[i];
      for (size_t k = 0; k < t.size();) {
        if (t.compare(k, rep_.size(), rep_) == 0) {
          if (!drop) out.push_back(' ');
          k += rep_.size();
        } else {
          out.push_back(t[k++]);
        }
      }
      tokens[i].swap(out);
    }
  }
  bool strips_leading_space() const override { return prepends_; }

 private:
  std::string rep_;
  bool prepends_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    Tokens out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (o.raw_bytes || is_valid_utf8(pending)) out.push_back(pending);
      else out.insert(out.end(), pending.size(), "\xEF\xBF\xBD");
      pending.clear();
    };
    for (std::string& t : tokens) {
      const int hi = t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' ? hex_value(t[3]) : -1;
      const int lo = hi >= 0 ? hex_value(t[4]) : -1;
      if (lo >= 0) {
        pending.push_back(static_cast<char>(hi * 16 + lo));
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(Tokens& tokens, const DecodeOptions&) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t c, size_t start, size_t stop) : content_(c), start_(start), stop_(stop) {}
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    if (o.continuation) return;
    for (std::string& t : tokens) {
      std::vector<size_t> bounds;  // byte offset of each character, then the end
      for (size_t i = 0; i < t.size();) {
        bounds.push_back(i);
        next_char(t, i);
      }
      bounds.push_back(t.size());
      const size_t n = bounds.size() - 1;
      auto is_content = [&](size_t k) {
        size_t i = bounds[k];
        return next_char(t, i) == content_;
      };
      size_t b = 0, e = n;
      for (size_t k = 0; k < start_ && k < n && is_content(k); ++k) b = k + 1;
      for (size_t k = 0; k < stop_ && k < n && is_content(n - k - 1); ++k) e = n - k - 1;
      t = b < e ? t.substr(bounds[b], bounds[e] - bounds[b]) : std::string();
    }
  }
  bool strips_leading_space() const override { return content_ == ' ' && start_ > 0; }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::unique_ptr<Regex> re, std::string content) : re_(std::move(re)), content_(std::move(content)) {}
  void decode_chain(Tokens& tokens, const DecodeOptions&) const override {
    std::vector<Span> m;
    for (std::string& t : tokens) re_->replace_all(t, content_, m);
  }

 private:
  std::unique_ptr<Regex> re_;
  std::string content_;
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0 || o.continuation) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
        else t.insert(0, 1, ' ');
      }
      if (cleanup_) {
        static const char* const kRules[][2] = {
            {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
            {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
        for (const auto& r : kRules) replace_all(t, r[0], r[1]);
      }
    }
  }
  bool strips_leading_space() const override { return true; }

 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    if (suffix_.empty()) return;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const bool last = i + 1 == tokens.size() && !o.continuation;
      replace_all(tokens[i], suffix_, last ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> v) : items_(std::move(v)) {}
  void decode_chain(Tokens& tokens, const DecodeOptions& o) const override {
    for (const auto& d : items_) d->decode_chain(tokens, o);
  }
  bool strips_leading_space() const override {
    for (const auto& d : items_) {
      if (d->strips_leading_space()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> items_;
};

using DecResult = Expected<std::unique_ptr<Decoder>>;
template <class T, class... A>
DecResult make(A&&... a) {
  return std::unique_ptr<Decoder>(new T(std::forward<A>(a)...));
}

DecResult parse_strip(const Json& j, const std::string& where) {
  std::string c = " ";
  int64_t start = 0, stop = 0;
  MISTRALRS_RETURN_IF_ERROR(read_char(j, "content", where, c));
  MISTRALRS_RETURN_IF_ERROR(read_int(j, "start", where, 0, 1 << 20, start));
  MISTRALRS_RETURN_IF_ERROR(read_int(j, "stop", where, 0, 1 << 20, stop));
  size_t i = 0;
  return make<StripDecoder>(next_char(c, i), static_cast<size_t>(start), static_cast<size_t>(stop));
}

DecResult parse_metaspace(const Json& j, const std::string& where) {
  std::string rep = "\xE2\x96\x81", scheme;
  bool legacy_prefix = true;
  MISTRALRS_RETURN_IF_ERROR(read_char(j, "replacement", where, rep));
  MISTRALRS_RETURN_IF_ERROR(read_bool(j, "add_prefix_space", where, legacy_prefix));
  MISTRALRS_RETURN_IF_ERROR(read_string(j, "prepend_scheme", where, scheme));
  if (!scheme.empty() && scheme != "always" && scheme != "first" && scheme != "never") {
    return invalid_argument("tokenizer.json: Metaspace decoder prepend_scheme '" + scheme + "' is unknown");
  }
  const bool prepends = scheme.empty() ? legacy_prefix : scheme != "never";
  return make<MetaspaceDecoder>(std::move(rep), prepends);
}

}  // namespace

Expected<std::unique_ptr<Decoder>> parse_decoder(const Json& j, int depth) {
  if (j.is_null()) return std::unique_ptr<Decoder>();
  const std::string where = "decoder";
  std::string type;
  MISTRALRS_RETURN_IF_ERROR(read_type(j, where, type));
  if (type == "ByteLevel") return make<ByteLevelDecoder>();
  if (type == "Metaspace") return parse_metaspace(j, where);
  if (type == "ByteFallback") return make<ByteFallbackDecoder>();
  if (type == "Fuse") return make<FuseDecoder>();
  if (type == "Strip") return parse_strip(j, where);
  if (type == "Replace") {
    std::string pattern, content;
    bool is_regex = false;
    MISTRALRS_RETURN_IF_ERROR(read_pattern(j, "pattern", where, pattern, is_regex));
    MISTRALRS_RETURN_IF_ERROR(read_string(j, "content", where, content));
    auto re = is_regex ? Regex::compile(pattern) : Regex::literal(pattern);
    if (!re) return re.status();
    return make<ReplaceDecoder>(std::move(re.value()), std::move(content));
  }
  if (type == "WordPiece") {
    std::string prefix = "##";
    bool cleanup = true;
    MISTRALRS_RETURN_IF_ERROR(read_string(j, "prefix", where, prefix));
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "cleanup", where, cleanup));
    return make<WordPieceDecoder>(std::move(prefix), cleanup);
  }
  if (type == "BPEDecoder") {
    std::string suffix = "</w>";
    MISTRALRS_RETURN_IF_ERROR(read_string(j, "suffix", where, suffix));
    return make<BpeDecoder>(std::move(suffix));
  }
  if (type == "Sequence") {
    auto v = parse_sequence_members<Decoder>(j, "decoders", "decoder", depth, parse_decoder);
    if (!v) return v.status();
    return make<SequenceDecoder>(std::move(v.value()));
  }
  return unsupported("tokenizer.json: decoder type '" + type + "' is not supported");
}

}  // namespace mistralrs::hf
