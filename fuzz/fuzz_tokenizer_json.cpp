// libFuzzer target: load_hf_tokenizer on arbitrary tokenizer.json text. A rejected file must
// come with a message; a loaded one must encode and decode a few fixed strings (with every
// flag) without crashing, give ids inside its vocabulary, and decode them.
#include <string>

#include "formats/json_util.h"
#include "tokenizer/hf/hf_tokenizer.h"

using namespace mistralrs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j;
  std::string err;
  if (!json_parse(reinterpret_cast<const char*>(data), size, j, err)) return 0;
  auto t = load_hf_tokenizer(j, nullptr);
  if (!t) {
    if (t.status().message().empty()) __builtin_trap();
    return 0;
  }
  const Tokenizer& tok = *t.value();
  static const char* kTexts[] = {"", "Hello world", "  a\tb\nc ", "<s>x</s>", "caf\xC3\xA9 \xF0\x9F\x98\x80 12",
                                 "\xFF\xC3("};
  for (const char* text : kTexts) {
    for (int flags = 0; flags < 4; ++flags) {
      auto ids = tok.encode(text, flags & 1, flags & 2);
      if (!ids) {
        if (ids.status().message().empty()) __builtin_trap();
        continue;
      }
      for (int32_t id : ids.value()) {
        if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
        (void)tok.token_bytes(id, flags & 1);
      }
      (void)tok.decode(ids.value(), flags & 2);
    }
  }
  return 0;
}
