// tokenizer.json decoders: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, WordPiece,
// BPEDecoder and Sequence, applied as a chain over the token strings (tokenizers' decode_chain).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/hf/json_fields.h"

namespace mistralrs::hf {

struct DecodeOptions {
  // The tokens continue a text (streaming one token at a time): rules for the first token of
  // a text (Metaspace's dropped marker, WordPiece's missing space) and Strip are not applied.
  bool continuation = false;
  // Byte tokens and byte-level characters give their raw bytes, never U+FFFD for a byte
  // sequence that is not (yet) valid UTF-8.
  bool raw_bytes = false;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens, const DecodeOptions& o) const = 0;
  // Whether the chain drops the space that starts a text (Metaspace with a prepend scheme,
  // Strip of a leading ' ', WordPiece), which a continuation decode keeps.
  virtual bool strips_leading_space() const { return false; }
};

// null JSON gives a null decoder.
Expected<std::unique_ptr<Decoder>> parse_decoder(const Json& j, int depth = 0);

}  // namespace mistralrs::hf
