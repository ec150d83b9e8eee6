// tokenizer.json normalizers: NFC/NFD/NFKC/NFKD, Lowercase, Strip, StripAccents, Replace,
// Prepend, BertNormalizer and Sequence. They work on whole strings; instead of Hugging Face's
// full alignment table they track one fact, whether the first character still comes from the
// first character of the original text (`at_origin`), which is all Metaspace's "first"
// prepend scheme asks of the alignments.
#pragma once
#include <memory>
#include <string>

#include "core/status.h"
#include "tokenizer/hf/json_fields.h"

namespace mistralrs::hf {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // s: valid UTF-8, changed in place.
  virtual void normalize(std::string& s, bool& at_origin) const = 0;
};

// null JSON gives a null normalizer.
Expected<std::unique_ptr<Normalizer>> parse_normalizer(const Json& j, int depth = 0);

}  // namespace mistralrs::hf
