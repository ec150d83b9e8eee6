#include "tokenizer/gguf_pre_tokenizers.h"

#include <array>
#include <string_view>

namespace mistralrs {

namespace {

using nlohmann::json;

// GPT-2's word splitting (the ByteLevel pre-tokenizer with use_regex does it itself).
json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

json split_isolated(std::string_view regex) {
  return {{"type", "Split"}, {"pattern", {{"Regex", std::string(regex)}}}, {"behavior", "Isolated"}, {"invert", false}};
}

json digits(bool individual) { return {{"type", "Digits"}, {"individual_digits", individual}}; }

json sequence(json items) { return {{"type", "Sequence"}, {"pretokenizers", std::move(items)}}; }

json nfc() { return {{"type", "NFC"}}; }

// Llama 3 (and the tokenizers derived from it): numbers in groups of up to three digits.
constexpr std::string_view kLlama3 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
// Qwen 2: the Llama 3 pattern with single digits.
constexpr std::string_view kQwen2 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
// Mistral's tekken (Mistral NeMo and later): case-aware words, single digits.
constexpr std::string_view kTekken =
    R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
// DeepSeek LLM: an explicit list of cased letters, ASCII/full-width punctuation, trailing
// whitespace, CJK blocks.
constexpr std::string_view kDeepseekLlmLetters =
    "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af"
    "\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5"
    "\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba"
    "\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45"
    "\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe"
    "\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc"
    "\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139"
    "\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3"
    "\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06"
    "\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f\U000104b0-\U000104d3"
    "\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U000118a0-\U000118df"
    "\U0001e900-\U0001e943]+";
constexpr std::string_view kDeepseekLlmPunct = "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+";
constexpr std::string_view kCjk = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+";

json gpt2_family() { return byte_level(true); }

json starcoder_family() { return sequence({digits(true), byte_level(true)}); }

json falcon() {
  return sequence({{{"type", "Punctuation"}, {"behavior", "Contiguous"}}, byte_level(true), digits(false),
                   split_isolated("[0-9][0-9][0-9]")});
}

json deepseek_coder() {
  return sequence({split_isolated("[\r\n]"), split_isolated("\\s?\\p{L}+"), split_isolated("\\s?\\p{P}+"),
                   split_isolated(kCjk), digits(true), byte_level(false)});
}

json deepseek_llm() {
  return sequence({split_isolated("[\r\n]"), split_isolated(kDeepseekLlmLetters), split_isolated(kDeepseekLlmPunct),
                   split_isolated("\\s+$"), split_isolated(kCjk), digits(false), byte_level(false)});
}

json regex_then_bytes(std::string_view regex) { return sequence({split_isolated(regex), byte_level(false)}); }

}  // namespace

Expected<HfPreTokenization> hf_pre_tokenization(const std::string& pre) {
  HfPreTokenization p;
  // Families whose tokenizer.json is GPT-2's ByteLevel (GPT-NeoX based ones add NFC).
  static constexpr std::array<std::string_view, 4> kGpt2 = {"", "default", "gpt-2", "jais"};
  for (std::string_view n : kGpt2)
    if (pre == n) {
      p.pre_tokenizer = gpt2_family();
      return p;
    }
  if (pre == "mpt" || pre == "olmo") {
    p.normalizer = nfc();
    p.pre_tokenizer = gpt2_family();
  } else if (pre == "starcoder" || pre == "refact" || pre == "smollm" || pre == "codeshell") {
    p.pre_tokenizer = starcoder_family();
  } else if (pre == "falcon") {
    p.pre_tokenizer = falcon();
  } else if (pre == "deepseek-coder") {
    p.pre_tokenizer = deepseek_coder();
  } else if (pre == "deepseek-llm") {
    p.pre_tokenizer = deepseek_llm();
  } else if (pre == "llama-bpe" || pre == "llama3") {
    p.pre_tokenizer = regex_then_bytes(kLlama3);
    p.ignore_merges = true;
  } else if (pre == "qwen2") {
    p.normalizer = nfc();
    p.pre_tokenizer = regex_then_bytes(kQwen2);
  } else if (pre == "tekken") {
    p.pre_tokenizer = regex_then_bytes(kTekken);
    p.ignore_merges = true;  // tiktoken looks a whole word up before merging
  } else {
    return unsupported("GGUF pre-tokenizer '" + pre + "' is not supported");
  }
  return p;
}

}  // namespace mistralrs
