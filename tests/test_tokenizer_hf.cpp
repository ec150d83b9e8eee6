// The tokenizer.json engine against Hugging Face tokenizers 0.23.3: every fixture under
// tests/fixtures/tokenizer/<name>/ was trained and its cases recorded by
// tools/gen_tokenizer_fixtures.py; ids must match exactly (plain, with special tokens added, and
// with special-token parsing off), and decode must give the reference's text.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/paths.h"
#include "common/vocab_cases.h"
#include "tokenizer/hf/hf_tokenizer.h"
#include "tokenizer/utf8_stream.h"

namespace mistralrs {
namespace {

using mistralrs::testing::read_all;
using mistralrs::testing::from_hex;
using mistralrs::testing::show;

std::vector<int32_t> ids_of(const nlohmann::json& j) { return j.get<std::vector<int32_t>>(); }

std::unique_ptr<Tokenizer> load_fixture(const std::string& name) {
  auto t = load_hf_tokenizer_file(testing::fixture_path("tokenizer/" + name + "/tokenizer.json"));
  EXPECT_TRUE(t) << name << ": " << t.status().to_string();
  return t ? std::move(t.value()) : nullptr;
}

class HfFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(HfFixture, MatchesReferenceIdsAndText) {
  const std::string name = GetParam();
  auto tok = load_fixture(name);
  ASSERT_TRUE(tok);
  const auto cases = nlohmann::json::parse(read_all(testing::fixture_path("tokenizer/" + name + "/cases.json")));
  ASSERT_GT(cases.size(), 80u);
  int failures = 0;
  for (const auto& c : cases) {
    const std::string text = from_hex(c["text_hex"].get<std::string>());
    struct Variant {
      const char* key;
      bool add_special, parse_special;
    } variants[] = {{"ids", false, true}, {"ids_add_special", true, true}, {"ids_no_parse_special", false, false}};
    for (const Variant& v : variants) {
      auto got = tok->encode(text, v.add_special, v.parse_special);
      ASSERT_TRUE(got) << got.status().to_string();
      const auto want = ids_of(c[v.key]);
      if (got.value() != want) {
        ++failures;
        ADD_FAILURE() << name << " " << v.key << ": text hex " << c["text_hex"] << "\n expected" << show(want)
                      << "\n got     " << show(got.value());
      }
    }
    if (c["decoded"].is_string()) {
      EXPECT_EQ(tok->decode(ids_of(c["ids"]), false), c["decoded"].get<std::string>()) << name << " hex " << c["text_hex"];
    }
    if (c["decoded_with_special"].is_string()) {
      EXPECT_EQ(tok->decode(ids_of(c["ids_add_special"]), true), c["decoded_with_special"].get<std::string>())
          << name << " hex " << c["text_hex"];
    }
  }
  std::printf("[ measured ] %s: %zu cases x 3 encodings, %d differ\n", name.c_str(), cases.size(), failures);
}

INSTANTIATE_TEST_SUITE_P(Trained, HfFixture,
                         ::testing::Values("gpt2_bytelevel", "gpt2_prefix_space", "llama3_split", "bytefallback_legacy",
                                           "bytefallback_first", "bytefallback_always", "unigram_nfkc",
                                           "unigram_byte_fallback", "wordpiece_bert", "wordpiece_accents",
                                           "bpe_suffix_mix", "bpe_removed_split"));

// Streaming: token_bytes of each id, fed through Utf8Stream, rebuilds the input exactly for the
// byte-level and byte-fallback fixtures (whose decoders lose nothing), including characters that
// are split across byte tokens.
TEST(HfTokenizer, TokenBytesStreamRebuildsText) {
  const std::string text = "Héllo 👨‍👩‍👧 猫は窓 😀!\n\tend";
  for (const char* name : {"gpt2_bytelevel", "llama3_split", "bytefallback_always"}) {
    auto tok = load_fixture(name);
    ASSERT_TRUE(tok);
    auto ids = tok->encode(text, false, true);
    ASSERT_TRUE(ids);
    Utf8Stream stream;
    std::string out;
    for (int32_t id : ids.value()) out += stream.push(tok->token_bytes(id, false));
    out += stream.flush();
    // Metaspace prepends a marker to the text, which streams as one leading space.
    const std::string want = tok->strips_leading_space() ? " " + text : text;
    EXPECT_EQ(out, want) << name;
  }
}

TEST(HfTokenizer, SpecialTokensAndBosEos) {
  auto tok = load_fixture("bytefallback_legacy");
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->bos_id(), 1);  // the TemplateProcessing "<s> $A" of the fixture
  EXPECT_EQ(tok->token_bytes(1, false), "");
  EXPECT_EQ(tok->token_bytes(1, true), "<s>");
  EXPECT_EQ(tok->token_bytes(3 + 0x41, false), "A");  // <0x41> follows <unk>, <s>, </s>
  EXPECT_TRUE(tok->strips_leading_space());
}

// tokenizer_config.json: BOS/EOS text and the chat template. add_bos_token/add_eos_token do not
// change the template: transformers 5.24.0's AutoTokenizer, given this fixture with
// {"add_bos_token": false, "add_eos_token": true}, encodes "Hi" as [1, 389, 306] (BOS, no EOS),
// exactly the tokenizer.json post-processor (checked by hand with the pinned venv).
TEST(HfTokenizer, ConfigSetsTemplateAndSpecials) {
  const auto j = nlohmann::json::parse(read_all(testing::fixture_path("tokenizer/bytefallback_legacy/tokenizer.json")));
  const auto cfg = nlohmann::json::parse(R"({"bos_token": "<s>", "eos_token": "</s>",
      "add_bos_token": false, "add_eos_token": true, "chat_template": "{{ messages }}"})");
  auto t = load_hf_tokenizer(j, &cfg);
  ASSERT_TRUE(t) << t.status().to_string();
  EXPECT_EQ(t.value()->eos_id(), 2);
  EXPECT_EQ(t.value()->chat_template(), "{{ messages }}");
  auto ids = t.value()->encode("Hi", true, true);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids.value(), (std::vector<int32_t>{1, 389, 306}));
}

// Bad input: a status with a message, never a crash.
TEST(HfTokenizer, RejectsMalformedFiles) {
  const char* bad[] = {
      R"([])",
      R"({})",
      R"({"model": {"type": "BPE"}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}})",
      R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 99999999999}, "merges": []}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}})",
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.5}})",
      R"({"model": {"type": "Unigram", "vocab": []}})",
      R"({"model": {"type": "Unigram", "vocab": [["a", "x"]]}})",
      R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 5}})",
      R"({"model": {"type": "WordPiece", "vocab": {"a": "0"}}})",
      R"({"model": {"type": "Nope"}})",
      R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": {"type": "Replace", "pattern": {"Regex": "("}, "content": ""}})",
      R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": 3}})",
      R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "decoder": {"type": "Strip", "content": "ab"}})",
      R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "x"}}]}})",
      R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "added_tokens": [{"content": 5}]})",
      R"({"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": {"type": "Precompiled"}})",
      // A post-processor special id outside the vocabulary.
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "post_processor": {"type": "TemplateProcessing",
          "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
          "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [2000000000], "tokens": ["<s>"]}}}})",
  };
  for (const char* b : bad) {
    auto t = load_hf_tokenizer(nlohmann::json::parse(b), nullptr);
    ASSERT_FALSE(t) << b;
    EXPECT_FALSE(t.status().message().empty());
  }
  EXPECT_FALSE(load_hf_tokenizer_file("/nonexistent/tokenizer.json"));
}

// A file cut short anywhere is a parse error with the path in the message, never a crash.
TEST(HfTokenizer, TruncatedFileIsAnError) {
  const std::string full = read_all(testing::fixture_path("tokenizer/llama3_split/tokenizer.json"));
  const std::string path = (std::filesystem::temp_directory_path() / "mistralrs_hf_truncated.json").string();
  for (size_t cut : {size_t(0), size_t(1), full.size() / 3, full.size() / 2, full.size() - 3}) {
    std::ofstream(path, std::ios::binary) << full.substr(0, cut);
    auto t = load_hf_tokenizer_file(path);
    ASSERT_FALSE(t) << "cut at " << cut;
    EXPECT_NE(t.status().message().find(path), std::string::npos) << t.status().message();
  }
  std::filesystem::remove(path);
}

// encode is const and may run on several threads at once (shared regexes, per-call caches).
TEST(HfTokenizer, ConcurrentEncodeMatchesSerial) {
  auto tok = load_fixture("llama3_split");
  ASSERT_TRUE(tok);
  const std::string text = read_all(testing::fixture_path("tokenizer/train_text.txt")).substr(0, 20000);
  const auto want = tok->encode(text, true, true).value();
  std::vector<std::vector<int32_t>> got(4);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < got.size(); ++k) {
    threads.emplace_back([&, k] { got[k] = tok->encode(text, true, true).value(); });
  }
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

// A unknown character needs the unknown token; without one in the vocabulary the encode fails
// cleanly instead of inventing an id.
TEST(HfTokenizer, MissingUnknownTokenIsAnError) {
  auto t = load_hf_tokenizer(nlohmann::json::parse(
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "unk_token": "<unk>"}})"), nullptr);
  ASSERT_TRUE(t) << t.status().to_string();
  EXPECT_EQ(t.value()->encode("a", false, true).value(), std::vector<int32_t>{0});
  EXPECT_FALSE(t.value()->encode("ab", false, true));
}

}  // namespace
}  // namespace mistralrs
