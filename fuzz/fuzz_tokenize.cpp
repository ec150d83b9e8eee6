// libFuzzer target: encode + decode of arbitrary text with the committed fixture tokenizers
// (tests/fixtures/tokenizer/*). The first input byte picks the tokenizer and the flags; the
// rest is the text (any bytes; invalid UTF-8 included). Checks: ids inside the vocabulary,
// decode and token_bytes never fail, and for llama3_split (byte-level, no stripping added
// tokens) decode(encode(text)) with special tokens rendered gives the text back exactly
// (after U+FFFD repair of invalid UTF-8, which utf8_lossy does).
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/hf/unicode.h"

using namespace mistralrs;

namespace {
const char* const kNames[] = {"gpt2_bytelevel", "gpt2_prefix_space", "llama3_split", "bytefallback_legacy",
                              "bytefallback_first", "bytefallback_always", "unigram_nfkc",
                              "unigram_byte_fallback", "wordpiece_bert", "wordpiece_accents",
                              "bpe_suffix_mix", "bpe_removed_split"};
constexpr size_t kCount = sizeof(kNames) / sizeof(kNames[0]);
constexpr size_t kRoundTrip = 2;  // llama3_split

const std::vector<std::unique_ptr<Tokenizer>>& tokenizers() {
  static const auto all = [] {
    std::vector<std::unique_ptr<Tokenizer>> v;
    for (const char* n : kNames) {
      auto t = load_hf_tokenizer_file(std::string(MISTRALRS_FUZZ_FIXTURES) + "/" + n + "/tokenizer.json");
      if (!t) __builtin_trap();  // the committed fixtures must load
      v.push_back(std::move(t.value()));
    }
    return v;
  }();
  return all;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t pick = data[0] % kCount;
  const bool add_special = data[0] & 0x40, parse_special = data[0] & 0x80;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Tokenizer& tok = *tokenizers()[pick];
  auto ids = tok.encode(text, add_special, parse_special);
  if (!ids) {
    if (ids.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (int32_t id : ids.value()) {
    if (id < 0 || id >= tok.vocab_size()) __builtin_trap();
    (void)tok.token_bytes(id, true);
  }
  const std::string back = tok.decode(ids.value(), true);
  if (pick == kRoundTrip && !add_special && back != hf::utf8_lossy(text)) __builtin_trap();
  return 0;
}
