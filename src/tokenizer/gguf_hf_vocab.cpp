#include "tokenizer/gguf_hf_vocab.h"

#include <cctype>

#include "tokenizer/gguf_pre_tokenizers.h"

namespace mistralrs {

namespace {

using nlohmann::json;

constexpr int64_t kControl = 3, kUserDefined = 4;

// The tokenizer.ggml.* keys both vocabulary kinds use.
struct GgufVocabKeys {
  std::vector<std::string> tokens;
  std::vector<int64_t> types;  // one per token (all normal when the file has none)
  std::vector<std::string> merges;
  int64_t bos = -1, eos = -1, unk = -1, pad = -1, cls = -1, sep = -1, mask = -1;
  bool add_bos = false, add_eos = false;
  std::string pre, chat_template;
};

Status read_id(const GgufFile& g, const char* key, int64_t n_tokens, int64_t& dst) {
  if (!g.find(key)) return Status::ok();
  auto v = g.get_int(key);
  if (!v) return v.status();
  // Converters write -1 (or an out-of-range id) for "none" in some files; only in-range ids
  // mean a token.
  dst = v.value() >= 0 && v.value() < n_tokens ? v.value() : -1;
  return Status::ok();
}

Status read_bool(const GgufFile& g, const char* key, bool& dst) {
  if (!g.find(key)) return Status::ok();
  auto v = g.get_bool(key);
  if (!v) return v.status();
  dst = v.value();
  return Status::ok();
}

Expected<GgufVocabKeys> read_keys(const GgufFile& g, bool need_merges) {
  GgufVocabKeys k;
  auto tokens = g.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return tokens.status();
  k.tokens = std::move(tokens.value());
  const int64_t n = static_cast<int64_t>(k.tokens.size());
  if (n == 0) return invalid_argument(g.origin() + ": tokenizer.ggml.tokens is empty");
  if (g.find("tokenizer.ggml.token_type")) {
    auto t = g.get_int_array("tokenizer.ggml.token_type");
    if (!t) return t.status();
    if (static_cast<int64_t>(t.value().size()) != n)
      return invalid_argument(g.origin() + ": tokenizer.ggml.token_type has " + std::to_string(t.value().size()) +
                              " entries for " + std::to_string(n) + " tokens");
    k.types = std::move(t.value());
  } else {
    k.types.assign(k.tokens.size(), 1);
  }
  if (need_merges) {
    auto m = g.get_string_array("tokenizer.ggml.merges");
    if (!m) return m.status();
    k.merges = std::move(m.value());
  }
  struct IdKey {
    const char* key;
    int64_t* dst;
  };
  for (const IdKey& id : {IdKey{"tokenizer.ggml.bos_token_id", &k.bos}, IdKey{"tokenizer.ggml.eos_token_id", &k.eos},
                          IdKey{"tokenizer.ggml.unknown_token_id", &k.unk},
                          IdKey{"tokenizer.ggml.padding_token_id", &k.pad}, IdKey{"tokenizer.ggml.cls_token_id", &k.cls},
                          IdKey{"tokenizer.ggml.seperator_token_id", &k.sep},
                          IdKey{"tokenizer.ggml.mask_token_id", &k.mask}})
    MISTRALRS_RETURN_IF_ERROR(read_id(g, id.key, n, *id.dst));
  MISTRALRS_RETURN_IF_ERROR(read_bool(g, "tokenizer.ggml.add_bos_token", k.add_bos));
  MISTRALRS_RETURN_IF_ERROR(read_bool(g, "tokenizer.ggml.add_eos_token", k.add_eos));
  for (auto [key, dst] : {std::pair{"tokenizer.ggml.pre", &k.pre}, std::pair{"tokenizer.chat_template", &k.chat_template}}) {
    if (!g.find(key)) continue;
    auto s = g.get_string(key);
    if (!s) return s.status();
    *dst = std::move(s.value());
  }
  return k;
}

// llama.cpp pads some vocabularies to a round size with user-defined "[PAD<id>]" tokens that
// the original tokenizer never had.
bool is_padding_filler(const std::string& text, int64_t id) { return text == "[PAD" + std::to_string(id) + "]"; }

// Control tokens become special added tokens; user-defined ones plain added tokens (matched in
// the text before pre-tokenization, like Hugging Face's added_tokens).
json added_tokens(const GgufVocabKeys& k, const std::vector<std::string>& texts) {
  json out = json::array();
  for (size_t i = 0; i < texts.size(); ++i) {
    const int64_t t = k.types[i];
    if (t != kControl && t != kUserDefined) continue;
    if (t == kUserDefined && is_padding_filler(texts[i], static_cast<int64_t>(i))) continue;
    const bool special = t == kControl;
    out.push_back({{"id", i}, {"content", texts[i]}, {"single_word", false}, {"lstrip", false},
                   {"rstrip", false}, {"normalized", !special}, {"special", special}});
  }
  return out;
}

json special_token_ref(const std::string& text, int64_t id) {
  return {{"id", text}, {"ids", json::array({id})}, {"tokens", json::array({text})}};
}

// `prefix`/`suffix`: token ids around the first sequence (-1: none). The second sequence of a
// pair gets the prefix again only when `prefix_pair` (Llama: "<s> A <s> B"; BERT: "[CLS] A
// [SEP] B [SEP]").
json template_processing(const std::vector<std::string>& texts, int64_t prefix, int64_t suffix, bool prefix_pair) {
  json single = json::array(), pair = json::array(), specials = json::object();
  auto add_seq = [](json& seq, const char* which, int type_id) {
    seq.push_back({{"Sequence", {{"id", which}, {"type_id", type_id}}}});
  };
  auto add_special = [&](json& seq, int64_t id, int type_id) {
    if (id < 0) return;
    seq.push_back({{"SpecialToken", {{"id", texts[id]}, {"type_id", type_id}}}});
    specials[texts[id]] = special_token_ref(texts[id], id);
  };
  for (json* seq : {&single, &pair}) {
    add_special(*seq, prefix, 0);
    add_seq(*seq, "A", 0);
    add_special(*seq, suffix, 0);
  }
  if (prefix_pair) add_special(pair, prefix, 1);
  add_seq(pair, "B", 1);
  add_special(pair, suffix, 1);
  return {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", specials}};
}

json vocab_map(const std::vector<std::string>& texts) {
  json v = json::object();
  // A repeated text keeps its first id, as the vocab map of the original file would.
  for (size_t i = 0; i < texts.size(); ++i) v.emplace(texts[i], static_cast<int64_t>(i));
  return v;
}

void set_config_token(json& config, const char* name, const std::vector<std::string>& texts, int64_t id) {
  if (id >= 0) config[name] = texts[id];
}

Expected<HfTokenizerJson> gpt2_to_hf(const GgufFile& g) {
  auto keys = read_keys(g, true);
  if (!keys) return keys.status();
  const GgufVocabKeys& k = keys.value();
  auto pre = hf_pre_tokenization(k.pre);
  if (!pre) return Status(pre.status().code(), g.origin() + ": " + pre.status().message());
  HfTokenizerJson out;
  json model = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
                {"ignore_merges", pre.value().ignore_merges}, {"vocab", vocab_map(k.tokens)}, {"merges", k.merges}};
  if (k.unk >= 0) model["unk_token"] = k.tokens[k.unk];
  out.tokenizer = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr},
                   {"added_tokens", added_tokens(k, k.tokens)}, {"normalizer", pre.value().normalizer},
                   {"pre_tokenizer", pre.value().pre_tokenizer}, {"post_processor", nullptr},
                   {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
                   {"model", std::move(model)}};
  if ((k.add_bos && k.bos >= 0) || (k.add_eos && k.eos >= 0))
    out.tokenizer["post_processor"] = template_processing(k.tokens, k.add_bos ? k.bos : -1, k.add_eos ? k.eos : -1, true);
  out.config = json::object();
  set_config_token(out.config, "bos_token", k.tokens, k.bos);
  set_config_token(out.config, "eos_token", k.tokens, k.eos);
  set_config_token(out.config, "unk_token", k.tokens, k.unk);
  set_config_token(out.config, "pad_token", k.tokens, k.pad);
  if (!k.chat_template.empty()) out.config["chat_template"] = k.chat_template;
  return out;
}

bool bracketed(const std::string& t) { return t.size() >= 2 && t.front() == '[' && t.back() == ']'; }

// llama.cpp stores WordPiece vocabularies in "phantom space" form: a word-initial piece "the"
// as "\u2581the", a continuation "##ing" as "ing", bracketed specials unchanged. Undo it unless
// the file already uses "##".
std::vector<std::string> wordpiece_texts(const std::vector<std::string>& tokens) {
  static const std::string kMarker = "\xE2\x96\x81";
  bool has_hash = false, has_marker = false;
  for (const std::string& t : tokens) {
    has_hash = has_hash || t.rfind("##", 0) == 0;
    has_marker = has_marker || t.rfind(kMarker, 0) == 0;
  }
  if (has_hash || !has_marker) return tokens;
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const std::string& t : tokens) {
    if (bracketed(t)) out.push_back(t);
    else if (t.rfind(kMarker, 0) == 0) out.push_back(t.substr(kMarker.size()));
    else out.push_back("##" + t);
  }
  return out;
}

// Uncased vocabularies (no ASCII capital in any ordinary piece) lowercase their input.
bool vocabulary_is_uncased(const std::vector<std::string>& texts) {
  for (const std::string& t : texts) {
    if (bracketed(t)) continue;
    for (unsigned char c : t)
      if (std::isupper(c)) return false;
  }
  return true;
}

int64_t find_text(const std::vector<std::string>& texts, const std::string& want) {
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i] == want) return static_cast<int64_t>(i);
  return -1;
}

Expected<HfTokenizerJson> bert_to_hf(const GgufFile& g) {
  auto keys = read_keys(g, false);
  if (!keys) return keys.status();
  GgufVocabKeys& k = keys.value();
  const std::vector<std::string> texts = wordpiece_texts(k.tokens);
  if (k.cls < 0) k.cls = k.bos >= 0 ? k.bos : find_text(texts, "[CLS]");
  if (k.sep < 0) k.sep = k.eos >= 0 ? k.eos : find_text(texts, "[SEP]");
  if (k.unk < 0) k.unk = find_text(texts, "[UNK]");
  if (k.unk < 0) return invalid_argument(g.origin() + ": a WordPiece vocabulary needs an unknown token");
  const bool lowercase = vocabulary_is_uncased(texts);
  HfTokenizerJson out;
  json model = {{"type", "WordPiece"}, {"unk_token", texts[k.unk]}, {"continuing_subword_prefix", "##"},
                {"max_input_chars_per_word", 100}, {"vocab", vocab_map(texts)}};
  json normalizer = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                     {"strip_accents", nullptr}, {"lowercase", lowercase}};
  out.tokenizer = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr},
                   {"added_tokens", added_tokens(k, texts)}, {"normalizer", std::move(normalizer)},
                   {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
                   {"post_processor", template_processing(texts, k.cls, k.sep, false)},
                   {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
                   {"model", std::move(model)}};
  out.config = {{"do_lower_case", lowercase}};
  set_config_token(out.config, "cls_token", texts, k.cls);
  set_config_token(out.config, "sep_token", texts, k.sep);
  set_config_token(out.config, "unk_token", texts, k.unk);
  set_config_token(out.config, "pad_token", texts, k.pad);
  set_config_token(out.config, "mask_token", texts, k.mask);
  if (!k.chat_template.empty()) out.config["chat_template"] = k.chat_template;
  return out;
}

}  // namespace

Expected<HfTokenizerJson> gguf_vocab_to_hf_json(const GgufFile& g) {
  auto model = g.get_string("tokenizer.ggml.model");
  if (!model) return model.status();
  try {
    if (model.value() == "gpt2") return gpt2_to_hf(g);
    if (model.value() == "bert") return bert_to_hf(g);
  } catch (const std::exception& e) {  // nlohmann::json throws on invalid UTF-8 text, bad_alloc
    return invalid_argument(g.origin() + ": cannot convert the vocabulary: " + e.what());
  }
  return unsupported(g.origin() + ": tokenizer model '" + model.value() + "' is not a gpt2 or bert vocabulary");
}

}  // namespace mistralrs
