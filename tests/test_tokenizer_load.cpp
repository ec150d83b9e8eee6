// load_tokenizer: every kind of path (HF directory, tokenizer.json, tekken.json, .model,
// vocabulary-only and full-model GGUF), chat templates, the model loader hook, and bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/gguf_writer.h"
#include "common/paths.h"
#include "formats/gguf.h"
#include "pipeline/text_model.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/load.h"

namespace mistralrs {
namespace {

namespace fs = std::filesystem;
using namespace mistralrs::testing;

// A three-token BPE tokenizer.json: "a" + "b" merge into "ab", so "abab" -> [2, 2].
const char* kTinyTokenizerJson = R"({"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
  "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
  "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
            "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})";

std::vector<int32_t> enc(const Tokenizer& t, const std::string& s, bool add_special = false) {
  auto r = t.encode(s, add_special, false);
  EXPECT_TRUE(r) << r.status().to_string();
  return r ? r.value() : std::vector<int32_t>{};
}

std::unique_ptr<Tokenizer> must_load(const std::string& path) {
  auto t = load_tokenizer(path);
  EXPECT_TRUE(t) << path << ": " << t.status().to_string();
  return t ? std::move(t.value()) : nullptr;
}

void copy_into(const std::string& from, const std::string& dir, const std::string& name) {
  fs::copy_file(from, fs::path(dir) / name, fs::copy_options::overwrite_existing);
}

// A directory holding all three kinds: tokenizer.json wins, then tekken.json, then
// tokenizer.model (told apart by their vocabulary sizes: 3, 1214, 600).
TEST(LoadTokenizer, DirectoryPrefersTokenizerJsonThenTekkenThenModel) {
  const std::string dir = make_temp_dir("tok_dir_order");
  write_file(dir, "tokenizer.json", std::string(kTinyTokenizerJson));
  copy_into(fixture_path("tokenizer/tekken/tekken.json"), dir, "tekken.json");
  copy_into(fixture_path("tokenizer/spm/bpe.model"), dir, "tokenizer.model");
  auto t = must_load(dir);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->vocab_size(), 3);
  EXPECT_EQ(enc(*t, "abab"), (std::vector<int32_t>{2, 2}));
  fs::remove(fs::path(dir) / "tokenizer.json");
  t = must_load(dir);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->vocab_size(), 1214);
  fs::remove(fs::path(dir) / "tekken.json");
  t = must_load(dir);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->vocab_size(), 600);
  EXPECT_TRUE(has_tokenizer_files(dir));
  fs::remove(fs::path(dir) / "tokenizer.model");
  EXPECT_FALSE(has_tokenizer_files(dir));
  auto none = load_tokenizer(dir);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), StatusCode::kIo);
}

// Files named directly are recognized by content, whatever their names.
TEST(LoadTokenizer, FilesByContent) {
  const std::string dir = make_temp_dir("tok_by_content");
  const std::string tekken = fixture_path("tokenizer/tekken/tekken.json");
  copy_into(tekken, dir, "renamed.json");
  copy_into(fixture_path("tokenizer/spm/unigram.model"), dir, "renamed.bin");
  auto tk = must_load(dir + "/renamed.json");
  auto sp = must_load(dir + "/renamed.bin");
  ASSERT_TRUE(tk && sp);
  EXPECT_EQ(tk->vocab_size(), 1214);
  EXPECT_EQ(sp->vocab_size(), 500);
  // Reference ids from the fixtures' expected.json (mistral-common / python sentencepiece).
  std::ifstream f(fixture_path("tokenizer/tekken/expected.json"));
  std::stringstream s;
  s << f.rdbuf();
  const auto e = nlohmann::json::parse(s.str())["files"]["tekken.json"]["cases"][6];
  EXPECT_EQ(enc(*tk, e["text"].get<std::string>()), e["ids"].get<std::vector<int32_t>>());
}

// tokenizer_config.json: the chat template (string or named list) and, for a .model,
// add_bos_token / add_eos_token; chat_template.jinja beside it wins.
TEST(LoadTokenizer, TokenizerConfigAndChatTemplate) {
  const std::string dir = make_temp_dir("tok_config");
  copy_into(fixture_path("tokenizer/spm/bpe.model"), dir, "tokenizer.model");
  write_file(dir, "tokenizer_config.json",
             std::string(R"({"add_bos_token": false, "add_eos_token": true, "chat_template": "{{ messages }}"})"));
  auto t = must_load(dir);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->chat_template(), "{{ messages }}");
  auto ids = enc(*t, "Hello", true);
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(ids.front(), t->bos_id());
  EXPECT_EQ(ids.back(), t->eos_id());
  write_file(dir, "tokenizer_config.json",
             std::string(R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})"));
  t = must_load(dir);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->chat_template(), "D");
  EXPECT_EQ(enc(*t, "Hello", true).front(), t->bos_id());  // the default: BOS
  write_file(dir, "chat_template.jinja", std::string("{{ jinja wins }}"));
  t = must_load(dir);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->chat_template(), "{{ jinja wins }}");
  // The same rules for a tokenizer.json in the directory.
  write_file(dir, "tokenizer.json", std::string(kTinyTokenizerJson));
  t = must_load(dir + "/tokenizer.json");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->vocab_size(), 3);
  EXPECT_EQ(t->chat_template(), "{{ jinja wins }}");
}

// A small gpt2 vocabulary: tokens a, b, ab, "Ġ" (GPT-2's stand-in for a space), <|endoftext|>.
// "ab ab": GPT-2 words "ab" and " ab" -> "ab" = [2]; "Ġab": Ġ a b, merge "a b" -> [3, 2].
using Kvs = std::vector<std::pair<std::string, GgufW>>;

GgufW strings(const std::vector<std::string>& v) {
  std::vector<GgufW> items;
  for (const auto& s : v) items.push_back(gguf_string(s));
  return gguf_array(kWString, items);
}

Kvs gpt2_vocab_kvs() {
  return {{"tokenizer.ggml.model", gguf_string("gpt2")},
          {"tokenizer.ggml.pre", gguf_string("gpt-2")},
          {"tokenizer.ggml.tokens", strings({"a", "b", "ab", "\xC4\xA0", "<|endoftext|>"})},
          {"tokenizer.ggml.token_type",
           gguf_array(kWI32, {gguf_i32(1), gguf_i32(1), gguf_i32(1), gguf_i32(1), gguf_i32(3)})},
          {"tokenizer.ggml.merges", strings({"a b"})},
          {"tokenizer.ggml.bos_token_id", gguf_u32(4)},
          {"tokenizer.ggml.eos_token_id", gguf_u32(4)},
          {"tokenizer.ggml.add_bos_token", gguf_bool(true)},
          {"tokenizer.chat_template", gguf_string("{{ bos_token }}")}};
}

GgufWriter writer_from(const Kvs& kvs) {
  GgufWriter w;
  for (const auto& [k, v] : kvs) w.kv(k, v);
  return w;
}

GgufWriter gpt2_vocab_writer() { return writer_from(gpt2_vocab_kvs()); }

TEST(LoadTokenizer, GgufVocabularyOnlyAndFullModel) {
  const std::string dir = make_temp_dir("tok_gguf");
  GgufWriter w = gpt2_vocab_writer();
  const std::string vocab_only = write_file(dir, "vocab.gguf", w.build());
  w.kv("general.architecture", gguf_string("llama"));
  w.tensor("token_embd.weight", kGgmlF32, {4, 5}, pattern_bytes(80));
  const std::string full = write_file(dir, "model.gguf", w.build());
  for (const std::string& path : {vocab_only, full}) {
    auto t = must_load(path);
    ASSERT_TRUE(t);
    EXPECT_EQ(enc(*t, "ab ab"), (std::vector<int32_t>{2, 3, 2})) << path;
    EXPECT_EQ(enc(*t, "ab ab", true), (std::vector<int32_t>{4, 2, 3, 2})) << path;
    EXPECT_EQ(t->decode({2, 3, 2}, false), "ab ab");
    EXPECT_EQ(t->chat_template(), "{{ bos_token }}");
    EXPECT_EQ(t->bos_id(), 4);
  }
}

// WordPiece in llama.cpp's phantom-space form: "\u2581hello" is the word "hello", "llo" the
// continuation "##llo". Uncased, so "Hello hellollo" -> hello | hello ##llo = [4, 4, 5];
// "!" is not in the vocabulary -> [UNK] = 1; add_special wraps in [CLS] (2) ... [SEP] (3).
TEST(LoadTokenizer, GgufBertVocabulary) {
  GgufWriter w;
  std::vector<GgufW> tokens, types;
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\xE2\x96\x81hello", "llo", "\xE2\x96\x81he"})
    tokens.push_back(gguf_string(s));
  for (int t : {3, 3, 3, 3, 1, 1, 1}) types.push_back(gguf_i32(t));
  w.kv("tokenizer.ggml.model", gguf_string("bert"));
  w.kv("tokenizer.ggml.tokens", gguf_array(kWString, tokens));
  w.kv("tokenizer.ggml.token_type", gguf_array(kWI32, types));
  w.kv("tokenizer.ggml.unknown_token_id", gguf_u32(1));
  w.kv("tokenizer.ggml.cls_token_id", gguf_u32(2));
  w.kv("tokenizer.ggml.seperator_token_id", gguf_u32(3));
  auto t = must_load(write_file(make_temp_dir("tok_bert"), "bert.gguf", w.build()));
  ASSERT_TRUE(t);
  EXPECT_EQ(enc(*t, "Hello hellollo"), (std::vector<int32_t>{4, 4, 5}));
  EXPECT_EQ(enc(*t, "he!", true), (std::vector<int32_t>{2, 6, 1, 3}));
}

// A real GGUF vocabulary keeps its chat template (phi-3 has one; compared with the key read
// directly).
TEST(LoadTokenizer, ConformanceGgufChatTemplate) {
  const std::string dir = testing::llama_cpp_vocab_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared/conformance is absent";
  const std::string path = dir + "ggml-vocab-phi-3.gguf";
  auto g = GgufFile::open(path);
  ASSERT_TRUE(g);
  auto want = g.value()->get_string("tokenizer.chat_template");
  ASSERT_TRUE(want);
  auto t = must_load(path);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->chat_template(), want.value());
  EXPECT_FALSE(t->chat_template().empty());
}

// The model loader takes an HF directory's tokenizer files (here a hand-built tekken.json of
// 256 byte ranks + 5 filler specials, within the fixture model's 320 ids); without them it
// has none.
TEST(LoadTokenizer, ModelDirectoryGetsItsTokenizer) {
  const std::string src = fixture_path("text/llama_gqa/hf_f32");
  const std::string dir = make_temp_dir("tok_model_dir");
  for (const char* f : {"config.json", "model.safetensors", "generation_config.json"}) copy_into(src + "/" + f, dir, f);
  auto bare = load_tokenizer_for_model(dir);
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare.value());
  nlohmann::json tekken = {{"config", {{"pattern", "\\S+|\\s+"}, {"default_vocab_size", 261}, {"default_num_special_tokens", 5}, {"version", "v7"}}},
                           {"vocab", nlohmann::json::array()}, {"special_tokens", nlohmann::json::array()}};
  static const char* k64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 256; ++i)  // one byte in base64: two characters and "=="
    tekken["vocab"].push_back({{"rank", i}, {"token_bytes", std::string{k64[i >> 2], k64[(i & 3) << 4], '=', '='}}, {"token_str", ""}});
  write_file(dir, "tekken.json", tekken.dump());
  auto tm = TextModel::load(dir);
  ASSERT_TRUE(tm) << tm.status().to_string();
  ASSERT_TRUE(tm.value()->tokenizer);
  EXPECT_EQ(tm.value()->tokenizer->vocab_size(), 261);
  EXPECT_EQ(enc(*tm.value()->tokenizer, "hi"), (std::vector<int32_t>{'h' + 5, 'i' + 5}));
}

void expect_error(const std::string& path, const std::string& what) {
  auto t = load_tokenizer(path);
  EXPECT_FALSE(t) << what;
  if (!t) EXPECT_FALSE(t.status().message().empty()) << what;
}

TEST(LoadTokenizer, BadInputIsAnError) {
  const std::string dir = make_temp_dir("tok_bad");
  auto missing = load_tokenizer(dir + "/nothing-here");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kIo);
  expect_error(write_file(dir, "empty.bin", std::string()), "empty file");
  expect_error(write_file(dir, "garbage.model", std::string("\x01\x02garbage\xff\xfe", 12)), "not a SentencePiece model");
  expect_error(write_file(dir, "bad.json", std::string("{\"model\": ")), "truncated JSON");
  expect_error(write_file(dir, "nested.json", std::string(100000, '[')), "deep nesting");
  expect_error(write_file(dir, "odd.json", std::string("{\"model\": 5}")), "tokenizer.json without a model");
  expect_error(write_file(dir, "tekken_bad.json", std::string(R"({"config": {}, "vocab": []})")), "empty tekken");
  // A malformed tokenizer_config.json beside a good tokenizer.
  const std::string cfg_dir = make_temp_dir("tok_bad_cfg");
  copy_into(fixture_path("tokenizer/spm/bpe.model"), cfg_dir, "tokenizer.model");
  write_file(cfg_dir, "tokenizer_config.json", std::string("{not json"));
  expect_error(cfg_dir, "malformed tokenizer_config.json");
  // GGUF files: truncated, without a tokenizer, and with broken tokenizer keys.
  const Bytes good = gpt2_vocab_writer().build();
  for (size_t cut : {size_t{3}, size_t{24}, good.size() / 2, good.size() - 1})
    expect_error(write_file(dir, "cut.gguf", Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut))),
                 "truncated GGUF at " + std::to_string(cut));
  GgufWriter no_vocab;
  no_vocab.kv("general.architecture", gguf_string("llama"));
  expect_error(write_file(dir, "novocab.gguf", no_vocab.build()), "GGUF without tokenizer");
  struct Break {
    const char* what;
    const char* key;
    GgufW value;
  };
  for (const Break& b : {Break{"no merges", "tokenizer.ggml.merges", gguf_u32(0)},
                         Break{"types of another length", "tokenizer.ggml.token_type", gguf_array(kWI32, {gguf_i32(1)})},
                         Break{"unknown pre-tokenizer", "tokenizer.ggml.pre", gguf_string("no-such-family")},
                         Break{"unknown model", "tokenizer.ggml.model", gguf_string("rwkv")},
                         Break{"model not a string", "tokenizer.ggml.model", gguf_u32(7)},
                         Break{"tokens not strings", "tokenizer.ggml.tokens", gguf_array(kWU32, {gguf_u32(1)})},
                         Break{"empty tokens", "tokenizer.ggml.tokens", gguf_array(kWString, {})}}) {
    Kvs kvs = gpt2_vocab_kvs();
    for (auto& kv : kvs)
      if (kv.first == b.key) kv.second = b.value;
    auto g = GgufFile::open(write_file(dir, "broken.gguf", writer_from(kvs).build()));
    ASSERT_TRUE(g) << b.what;
    auto t = tokenizer_from_gguf(*g.value());
    EXPECT_FALSE(t) << b.what;
  }
}

}  // namespace
}  // namespace mistralrs
