#include "tokenizer/gguf_vocab.h"

#include <filesystem>

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

}  // namespace

Expected<std::unique_ptr<Tokenizer>> tokenizer_from_gguf(const GgufFile& g) {
  if (!g.find("tokenizer.ggml.tokens")) return std::unique_ptr<Tokenizer>();
  auto model = g.get_string("tokenizer.ggml.model");
  if (!model) return model.status();
  if (model.value() != "llama")
    return unsupported(g.origin() + ": tokenizer model '" + model.value() + "' is not supported yet");
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

Expected<std::unique_ptr<Tokenizer>> load_tokenizer_for_model(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    auto g = GgufFile::open(path);
    if (!g) return g.status();
    return tokenizer_from_gguf(*g.value());
  }
  return std::unique_ptr<Tokenizer>();
}

}  // namespace mistralrs
