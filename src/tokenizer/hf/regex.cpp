#include "tokenizer/hf/regex.h"

#include <oniguruma.h>

#include <cctype>
#include <mutex>

namespace mistralrs::hf {

namespace {
void init_oniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

// Only the leading byte matters to step one UTF-8 character.
size_t step(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return n;
}
}  // namespace

Expected<std::unique_ptr<Regex>> Regex::compile(std::string_view pattern) {
  init_oniguruma();
  OnigRegex re = nullptr;
  OnigErrorInfo info;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  const int rc = onig_new(&re, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                          ONIG_SYNTAX_ONIGURUMA, &info);
  if (rc != ONIG_NORMAL) {
    OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(msg, rc, &info);
    if (re) onig_free(re);
    return invalid_argument("tokenizer.json: bad regex '" + std::string(pattern.substr(0, 80)) +
                            "': " + reinterpret_cast<const char*>(msg));
  }
  return std::unique_ptr<Regex>(new Regex(re));
}

Expected<std::unique_ptr<Regex>> Regex::literal(std::string_view literal) {
  // Every ASCII punctuation character is escaped; letters, digits and non-ASCII bytes stand
  // for themselves (a backslash before a letter could form an escape such as \d).
  std::string p;
  for (char c : literal) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x80 && u > 0x20 && !std::isalnum(u)) p += '\\';
    p += c;
  }
  return compile(p);
}

Regex::~Regex() { onig_free(static_cast<OnigRegex>(re_)); }

void Regex::find_all(std::string_view text, std::vector<Span>& out) const {
  auto* re = static_cast<OnigRegex>(re_);
  OnigRegion* region = onig_region_new();
  const auto* str = reinterpret_cast<const OnigUChar*>(text.data());
  const OnigUChar* end = str + text.size();
  size_t pos = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (pos <= text.size()) {
    const int r = onig_search(re, str, end, str + pos, end, region, ONIG_OPTION_NONE);
    if (r < 0) break;  // ONIG_MISMATCH or an error: no more matches
    const size_t s = static_cast<size_t>(region->beg[0]);
    const size_t e = static_cast<size_t>(region->end[0]);
    if (s == e && have_last && last_end == e) {
      if (pos >= text.size()) break;
      pos += step(text, pos);
      continue;
    }
    out.emplace_back(s, e);
    have_last = true;
    last_end = e;
    pos = e;
    if (s == e && pos >= text.size()) break;
  }
  onig_region_free(region, 1);
}

void Regex::replace_all(std::string& text, std::string_view content, std::vector<Span>& matches) const {
  matches.clear();
  find_all(text, matches);
  if (matches.empty()) return;
  std::string out;
  size_t prev = 0;
  for (const Span& m : matches) {
    out.append(text, prev, m.first - prev);
    out += content;
    prev = m.second;
  }
  out.append(text, prev, std::string::npos);
  text.swap(out);
}

}  // namespace mistralrs::hf
