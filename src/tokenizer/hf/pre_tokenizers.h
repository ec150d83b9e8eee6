// tokenizer.json pre-tokenizers: ByteLevel, Metaspace, Split, Digits, Punctuation, Whitespace,
// WhitespaceSplit, BertPreTokenizer and Sequence. Each turns every piece of text into smaller
// pieces; the model then tokenizes each piece on its own.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/hf/json_fields.h"
#include "tokenizer/hf/regex.h"

namespace mistralrs::hf {

struct Piece {
  std::string text;
  bool at_origin = false;  // starts at byte 0 of the original input (see normalizers.h)
};

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Match {
  size_t begin, end;
  bool is_match;
};

// Cuts `in` along `matches` (covering it in order) as the behaviour says; appends non-empty pieces.
void split_piece(Piece&& in, const std::vector<Match>& matches, SplitBehavior behavior, std::vector<Piece>& out);
// Turns regex match spans into a covering list of matches and gaps (tokenizers' Pattern rule).
void spans_to_matches(const std::vector<Span>& spans, size_t text_size, bool invert, std::vector<Match>& out);

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their pre-tokenized parts.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// null JSON gives a null pre-tokenizer.
Expected<std::unique_ptr<PreTokenizer>> parse_pre_tokenizer(const Json& j, int depth = 0);

// GPT-2's byte <-> printable character table (the ByteLevel pre-tokenizer and decoder).
const std::string& byte_to_char_utf8(unsigned char b);
// The byte a ByteLevel character stands for, or -1.
int char_to_byte(char32_t c);

}  // namespace mistralrs::hf
