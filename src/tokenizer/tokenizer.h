// The Tokenizer interface every back end implements (GGUF vocabularies first; SentencePiece,
// tokenizer.json and tekken follow).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mistralrs {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual int32_t vocab_size() const = 0;
  // add_special: BOS/EOS as the vocabulary says; parse_special: special-token text in `text`
  // becomes the special token (otherwise it is plain text).
  virtual Expected<std::vector<int32_t>> encode(std::string_view text, bool add_special,
                                                bool parse_special) const = 0;
  // The raw bytes a token stands for (byte-fallback tokens as their byte, the word-boundary
  // marker as a space). Special/control tokens give their text only when `render_special`.
  virtual std::string token_bytes(int32_t id, bool render_special) const = 0;
  virtual int32_t bos_id() const = 0;  // -1 when none
  virtual int32_t eos_id() const = 0;  // -1 when none
  // Whether the decoder drops one leading space of the first piece (SentencePiece models).
  virtual bool strips_leading_space() const { return false; }

  // The text of `ids`. By default the concatenated token_bytes with the SentencePiece
  // leading-space rule applied; back ends whose decoders join tokens differently (tokenizer.json
  // Strip, Replace, WordPiece) override it.
  virtual std::string decode(const std::vector<int32_t>& ids, bool render_special) const;

  // The chat template that came with the tokenizer (tokenizer_config.json), empty when none.
  const std::string& chat_template() const { return chat_template_; }
  void set_chat_template(std::string t) { chat_template_ = std::move(t); }

 private:
  std::string chat_template_;
};

}  // namespace mistralrs
