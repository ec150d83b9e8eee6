// Oniguruma regexes with the syntax and iteration rules Hugging Face tokenizers uses (its `onig`
// crate: Oniguruma syntax, UTF-8, leftmost-first matches; an empty match right after the previous
// match is skipped by one character).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mistralrs::hf {

using Span = std::pair<size_t, size_t>;  // [begin, end) byte offsets

class Regex {
 public:
  static Expected<std::unique_ptr<Regex>> compile(std::string_view pattern);
  // A regex that matches `literal` exactly (tokenizers escapes String patterns the same way).
  static Expected<std::unique_ptr<Regex>> literal(std::string_view literal);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends the spans of all matches in valid UTF-8 `text`. Thread-safe.
  void find_all(std::string_view text, std::vector<Span>& out) const;
  // Replaces every match in `text` by `content`; `matches` receives the spans matched (in the
  // original text). Thread-safe.
  void replace_all(std::string& text, std::string_view content, std::vector<Span>& matches) const;

 private:
  explicit Regex(void* re) : re_(re) {}
  void* re_;  // OnigRegex; kept opaque so that users need not include oniguruma.h
};

}  // namespace mistralrs::hf
