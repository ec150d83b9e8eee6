// Incremental UTF-8 for streaming: bytes go in as tokens are generated; only whole, valid
// characters come out. A character split across tokens (byte-fallback tokens) is held
// until complete; a byte sequence that can never become valid is emitted as U+FFFD.
#pragma once
#include <string>
#include <string_view>

namespace mistralrs {

class Utf8Stream {
 public:
  // Appends bytes and returns the text that is now complete.
  std::string push(std::string_view bytes);
  // Everything still held, with an unfinished character replaced by U+FFFD.
  std::string flush();
  bool has_pending() const { return !pending_.empty(); }

 private:
  std::string pending_;
};

// Length of the complete, valid UTF-8 character at s[0] (1-4), 0 when s ends before the
// character does, or -1 when s[0] cannot start a valid character here.
int utf8_char_length(std::string_view s);

}  // namespace mistralrs
