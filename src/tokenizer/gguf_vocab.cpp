#include "tokenizer/gguf_vocab.h"

#include <filesystem>

#include "tokenizer/gguf_hf_vocab.h"
#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/load.h"
#include "tokenizer/spm_tokenizer.h"

namespace mistralrs {

namespace {

// Optional integer key: `fallback` when absent, an error when present with a wrong type.
Expected<int64_t> int_or(const GgufFile& g, const std::string& key, int64_t fallback) {
  if (!g.find(key)) return fallback;
  return g.get_int(key);
}

Expected<bool> bool_or(const GgufFile& g, const std::string& key, bool fallback) {
  if (!g.find(key)) return fallback;
  return g.get_bool(key);
}

// tokenizer.ggml.model "llama": SentencePiece-style BPE by scores.
Expected<std::unique_ptr<Tokenizer>> spm_from_gguf(const GgufFile& g) {
  Vocabulary v;
  auto tokens = g.get_string_array("tokenizer.ggml.tokens");
  if (!tokens) return tokens.status();
  v.tokens = std::move(tokens.value());
  if (g.find("tokenizer.ggml.scores")) {
    auto s = g.get_float_array("tokenizer.ggml.scores");
    if (!s) return s.status();
    for (double d : s.value()) v.scores.push_back(static_cast<float>(d));
  }
  if (g.find("tokenizer.ggml.token_type")) {
    auto t = g.get_int_array("tokenizer.ggml.token_type");
    if (!t) return t.status();
    for (int64_t x : t.value()) v.types.push_back(static_cast<TokenType>(x));
  }
  struct IntKey {
    const char* key;
    int32_t* dst;
    int64_t fallback;
  };
  for (const IntKey& k : {IntKey{"tokenizer.ggml.bos_token_id", &v.bos, 1},
                          IntKey{"tokenizer.ggml.eos_token_id", &v.eos, 2},
                          IntKey{"tokenizer.ggml.unknown_token_id", &v.unk, 0}}) {
    auto x = int_or(g, k.key, k.fallback);
    if (!x) return x.status();
    *k.dst = static_cast<int32_t>(x.value());
  }
  struct BoolKey {
    const char* key;
    bool* dst;
  };
  for (const BoolKey& k : {BoolKey{"tokenizer.ggml.add_bos_token", &v.add_bos},
                           BoolKey{"tokenizer.ggml.add_eos_token", &v.add_eos},
                           BoolKey{"tokenizer.ggml.add_space_prefix", &v.add_space_prefix}}) {
    auto x = bool_or(g, k.key, *k.dst);
    if (!x) return x.status();
    *k.dst = x.value();
  }
  auto t = SpmTokenizer::create(std::move(v), g.origin());
  if (!t) return t.status();
  return std::unique_ptr<Tokenizer>(std::move(t.value()));
}

// "gpt2" and "bert": rebuilt as their tokenizer.json and run by the tokenizer.json engine.
Expected<std::unique_ptr<Tokenizer>> hf_from_gguf(const GgufFile& g) {
  auto files = gguf_vocab_to_hf_json(g);
  if (!files) return files.status();
  try {
    auto t = load_hf_tokenizer(files.value().tokenizer, &files.value().config);
    if (!t) return Status(t.status().code(), g.origin() + ": " + t.status().message());
    return t;
  } catch (const std::exception& e) {  // bad_alloc on a huge vocabulary
    return invalid_argument(g.origin() + ": cannot build the tokenizer: " + e.what());
  }
}

}  // namespace

Expected<std::unique_ptr<Tokenizer>> tokenizer_from_gguf(const GgufFile& g) {
  if (!g.find("tokenizer.ggml.tokens")) return std::unique_ptr<Tokenizer>();
  auto model = g.get_string("tokenizer.ggml.model");
  if (!model) return model.status();
  Expected<std::unique_ptr<Tokenizer>> t = std::unique_ptr<Tokenizer>();
  if (model.value() == "llama") t = spm_from_gguf(g);
  else if (model.value() == "gpt2" || model.value() == "bert") t = hf_from_gguf(g);
  else return unsupported(g.origin() + ": tokenizer model '" + model.value() + "' is not supported yet");
  if (!t) return t.status();
  if (g.find("tokenizer.chat_template")) {
    auto tmpl = g.get_string("tokenizer.chat_template");
    if (!tmpl) return tmpl.status();
    t.value()->set_chat_template(std::move(tmpl.value()));
  }
  return t;
}

Expected<std::unique_ptr<Tokenizer>> load_tokenizer_for_model(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    auto g = GgufFile::open(path);
    if (!g) return g.status();
    return tokenizer_from_gguf(*g.value());
  }
  // A Hugging Face model directory: its tokenizer.json / tekken.json / tokenizer.model.
  if (std::filesystem::is_directory(path, ec) && has_tokenizer_files(path)) return load_tokenizer(path);
  return std::unique_ptr<Tokenizer>();
}

}  // namespace mistralrs
