#include "tokenizer/hf/normalizers.h"

#include <vector>

#include "tokenizer/hf/regex.h"
#include "tokenizer/hf/unicode.h"

namespace mistralrs::hf {

namespace {

class FormNormalizer final : public Normalizer {
 public:
  explicit FormNormalizer(NormalForm f) : form_(f) {}
  void normalize(std::string& s, bool&) const override {
    std::string out;
    if (normalize_form(s, form_, out)) s.swap(out);
  }

 private:
  NormalForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& s, bool&) const override {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) append_lowercase(out, next_char(s, i));
    s.swap(out);
  }
};

// Removes leading/trailing Rust whitespace.
class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s, bool& at_origin) const override {
    size_t b = 0, e = s.size();
    if (left_) {
      while (b < e) {
        size_t i = b;
        if (!is_whitespace(next_char(s, i))) break;
        b = i;
      }
    }
    if (right_) {
      while (e > b) {
        size_t k = e - 1;
        while (k > b && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
        size_t i = k;
        if (!is_whitespace(next_char(s, i))) break;
        e = k;
      }
    }
    if (b > 0) at_origin = false;
    s = s.substr(b, e - b);
  }

 private:
  bool left_, right_;
};

// Drops every character for which drop() holds.
template <class Pred>
bool filter_chars(std::string& s, Pred drop) {
  std::string out;
  out.reserve(s.size());
  bool dropped_first = false;
  bool first = true;
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    const char32_t c = next_char(s, i);
    if (drop(c)) {
      if (first) dropped_first = true;
    } else {
      out.append(s, b, i - b);
      first = false;
    }
  }
  s.swap(out);
  return dropped_first;
}

class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& s, bool& at_origin) const override {
    if (filter_chars(s, is_mark)) at_origin = false;
  }
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<Regex> re, std::string content)
      : re_(std::move(re)), content_(std::move(content)) {}
  void normalize(std::string& s, bool& at_origin) const override {
    std::vector<Span> m;
    re_->replace_all(s, content_, m);
    if (!m.empty() && m[0].first == 0 && m[0].second > 0 && content_.empty()) at_origin = false;
  }

 private:
  std::unique_ptr<Regex> re_;
  std::string content_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& s, bool&) const override {
    if (!s.empty()) s.insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, bool strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip), lower_(lower) {}
  void normalize(std::string& s, bool& at_origin) const override {
    if (clean_) clean_text(s, at_origin);
    if (chinese_) pad_chinese(s);
    if (strip_) {
      std::string out;
      if (normalize_form(s, NormalForm::kNfd, out)) s.swap(out);
      if (filter_chars(s, is_mark_nonspacing)) at_origin = false;
    }
    if (lower_) LowercaseNormalizer().normalize(s, at_origin);
  }

 private:
  static void clean_text(std::string& s, bool& at_origin) {
    std::string out;
    out.reserve(s.size());
    bool first = true;
    for (size_t i = 0; i < s.size();) {
      const size_t b = i;
      const char32_t c = next_char(s, i);
      const bool ws = c == '\t' || c == '\n' || c == '\r' || is_whitespace(c);
      if (!ws && (c == 0 || c == 0xFFFD || is_other(c))) {
        if (first) at_origin = false;
        continue;
      }
      first = false;
      if (ws) out.push_back(' ');
      else out.append(s, b, i - b);
    }
    s.swap(out);
  }
  static void pad_chinese(std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
      const size_t b = i;
      const char32_t c = next_char(s, i);
      if (is_chinese_char(c)) out.push_back(' ');
      out.append(s, b, i - b);
      if (is_chinese_char(c)) out.push_back(' ');
    }
    s.swap(out);
  }
  bool clean_, chinese_, strip_, lower_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> v) : items_(std::move(v)) {}
  void normalize(std::string& s, bool& at_origin) const override {
    for (const auto& n : items_) n->normalize(s, at_origin);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

Expected<std::unique_ptr<Normalizer>> parse_normalizer(const Json& j, int depth) {
  if (j.is_null()) return std::unique_ptr<Normalizer>();
  const std::string where = "normalizer";
  std::string type;
  MISTRALRS_RETURN_IF_ERROR(read_type(j, where, type));
  if (type == "NFC") return std::unique_ptr<Normalizer>(new FormNormalizer(NormalForm::kNfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(new FormNormalizer(NormalForm::kNfd));
  if (type == "NFKC") return std::unique_ptr<Normalizer>(new FormNormalizer(NormalForm::kNfkc));
  if (type == "NFKD") return std::unique_ptr<Normalizer>(new FormNormalizer(NormalForm::kNfkd));
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(new LowercaseNormalizer());
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(new StripAccentsNormalizer());
  if (type == "Strip") {
    bool left = true, right = true;
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "strip_left", where, left));
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "strip_right", where, right));
    return std::unique_ptr<Normalizer>(new StripNormalizer(left, right));
  }
  if (type == "Prepend") {
    std::string p;
    MISTRALRS_RETURN_IF_ERROR(read_string(j, "prepend", where, p));
    return std::unique_ptr<Normalizer>(new PrependNormalizer(std::move(p)));
  }
  if (type == "Replace") {
    std::string pattern, content;
    bool is_regex = false;
    MISTRALRS_RETURN_IF_ERROR(read_pattern(j, "pattern", where, pattern, is_regex));
    MISTRALRS_RETURN_IF_ERROR(read_string(j, "content", where, content));
    auto re = is_regex ? Regex::compile(pattern) : Regex::literal(pattern);
    if (!re) return re.status();
    return std::unique_ptr<Normalizer>(new ReplaceNormalizer(std::move(re.value()), std::move(content)));
  }
  if (type == "BertNormalizer") {
    bool clean = true, chinese = true, lower = true;
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "clean_text", where, clean));
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "handle_chinese_chars", where, chinese));
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "lowercase", where, lower));
    bool strip = lower;  // strip_accents: null follows lowercase
    MISTRALRS_RETURN_IF_ERROR(read_bool(j, "strip_accents", where, strip));
    return std::unique_ptr<Normalizer>(new BertNormalizer(clean, chinese, strip, lower));
  }
  if (type == "Sequence") {
    auto items = parse_sequence_members<Normalizer>(j, "normalizers", "normalizer", depth, parse_normalizer);
    if (!items) return items.status();
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(items.value())));
  }
  return unsupported("tokenizer.json: normalizer type '" + type + "' is not supported");
}

}  // namespace mistralrs::hf
