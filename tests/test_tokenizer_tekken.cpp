// tekken.json against mistral-common's Tekkenizer (tests/fixtures/tokenizer/tekken, written
// by tools/gen_tekken_fixtures.py), the merge rule on hand-built ranks, and malformed files.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/paths.h"
#include "common/vocab_cases.h"
#include "tokenizer/tekken.h"

namespace mistralrs {
namespace {

using mistralrs::testing::show;

using nlohmann::json;

std::string tekken_dir() { return testing::fixture_path("tokenizer/tekken/"); }

json read_json(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return json::parse(s.str());
}

std::vector<int32_t> enc(const Tokenizer& t, const std::string& s, bool add_special = false, bool parse_special = false) {
  auto r = t.encode(s, add_special, parse_special);
  EXPECT_TRUE(r) << r.status().to_string();
  return r ? r.value() : std::vector<int32_t>{};
}

class TekkenFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(TekkenFixture, MatchesMistralCommon) {
  const std::string name = GetParam();
  auto tok = TekkenTokenizer::from_file(tekken_dir() + name);
  ASSERT_TRUE(tok) << tok.status().to_string();
  const Tokenizer& t = *tok.value();
  const json e = read_json(tekken_dir() + "expected.json")["files"][name];
  EXPECT_EQ(t.vocab_size(), e["vocab_size"].get<int32_t>());
  EXPECT_EQ(tok.value()->num_special_tokens(), e["num_special_tokens"].get<int32_t>());
  EXPECT_EQ(t.bos_id(), e["bos_id"].get<int32_t>());
  EXPECT_EQ(t.eos_id(), e["eos_id"].get<int32_t>());
  const auto specials = e["specials"].get<std::vector<std::string>>();
  for (size_t i = 0; i < specials.size(); ++i) {
    EXPECT_EQ(t.token_bytes(static_cast<int32_t>(i), true), specials[i]);
    EXPECT_EQ(t.token_bytes(static_cast<int32_t>(i), false), "");
  }
  int differ = 0;
  for (const auto& c : e["cases"]) {
    const std::string text = c["text"].get<std::string>();
    const auto want = c["ids"].get<std::vector<int32_t>>();
    const auto got = enc(t, text);
    if (got != want) {
      ++differ;
      ADD_FAILURE() << name << ": '" << text << "'\n expected" << show(want) << "\n got     " << show(got);
    }
    EXPECT_EQ(t.decode(want, false), c["decoded"].get<std::string>()) << name << ": '" << text << "'";
  }
  std::printf("[ measured ] %s: %zu strings, %d differ\n", name.c_str(), e["cases"].size(), differ);
}

INSTANTIATE_TEST_SUITE_P(Files, TekkenFixture, ::testing::Values("tekken.json", "tekken_default_specials.json"));

// add_special prepends BOS only; special-token text is plain unless parse_special.
TEST(TekkenTokenizer, SpecialTokens) {
  auto tok = TekkenTokenizer::from_file(tekken_dir() + "tekken.json");
  ASSERT_TRUE(tok);
  const Tokenizer& t = *tok.value();
  std::vector<int32_t> want = {t.bos_id()};
  for (int32_t x : enc(t, "Hello")) want.push_back(x);
  EXPECT_EQ(enc(t, "Hello", true), want);
  // "[INST]" and "[/INST]" are ids 3 and 4 (the fixture's special_tokens list).
  want = {3};
  for (int32_t x : enc(t, " Hi ")) want.push_back(x);
  want.push_back(4);
  EXPECT_EQ(enc(t, "[INST] Hi [/INST]", false, true), want);
  for (int32_t id : enc(t, "[INST] Hi [/INST]")) EXPECT_GE(id, tok.value()->num_special_tokens());
}

// A long whitespace run is one word of the pattern; it is encoded (and decodes back) without
// quadratic work, and invalid UTF-8 is encoded as U+FFFD.
TEST(TekkenTokenizer, LongWordsAndInvalidUtf8) {
  auto tok = TekkenTokenizer::from_file(tekken_dir() + "tekken.json");
  ASSERT_TRUE(tok);
  const Tokenizer& t = *tok.value();
  const std::string spaces(200000, ' ');
  EXPECT_EQ(t.decode(enc(t, spaces + "x"), false), spaces + "x");
  EXPECT_EQ(enc(t, "a\xff" "b"), enc(t, "a\xEF\xBF\xBD" "b"));
  EXPECT_EQ(enc(t, "\xE2\x82"), enc(t, "\xEF\xBF\xBD\xEF\xBF\xBD"));
}

std::string b64(const std::string& bytes) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 2]);
    for (size_t j = 0; j < 4; ++j) out += j <= bytes.size() - i ? k[(v >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

// 256 bytes, then `extra` merged strings; 3 listed special tokens out of 5.
json small_tekken(const std::vector<std::string>& extra) {
  json vocab = json::array();
  for (int i = 0; i < 256; ++i) vocab.push_back({{"rank", i}, {"token_bytes", b64(std::string(1, char(i)))}, {"token_str", ""}});
  for (const std::string& s : extra)
    vocab.push_back({{"rank", vocab.size()}, {"token_bytes", b64(s)}, {"token_str", s}});
  json specials = json::array();
  for (const char* s : {"<unk>", "<s>", "</s>"}) specials.push_back({{"rank", specials.size()}, {"token_str", s}, {"is_control", true}});
  return {{"config", {{"pattern", "\\S+|\\s+"}, {"default_vocab_size", 5 + vocab.size()}, {"default_num_special_tokens", 5}, {"version", "v7"}}},
          {"vocab", vocab}, {"special_tokens", specials}};
}

// Hand-derived merges (ids = rank + 5 specials):
//  "abcd": pairs ab(258) bc(257) cd(256) -> cd first: a b cd; then ab(258), "bcd" absent ->
//          ab cd = [263, 261].
//  "aaa":  aa(260) at 0 and at 1 tie -> the leftmost: aa a = [265, 102] ('a' = 97 + 5).
//  "xyz":  no pair is a rank, but the whole word is (259) -> [264].
TEST(TekkenTokenizer, MergeRuleOnHandBuiltRanks) {
  auto tok = TekkenTokenizer::from_json(small_tekken({"cd", "bc", "ab", "xyz", "aa"}), "hand");
  ASSERT_TRUE(tok) << tok.status().to_string();
  const Tokenizer& t = *tok.value();
  EXPECT_EQ(enc(t, "abcd"), (std::vector<int32_t>{263, 261}));
  EXPECT_EQ(enc(t, "aaa"), (std::vector<int32_t>{265, 102}));
  EXPECT_EQ(enc(t, "xyz"), (std::vector<int32_t>{264}));
  EXPECT_EQ(enc(t, "xyz abcd", true), (std::vector<int32_t>{1, 264, 37, 263, 261}));
  EXPECT_EQ(t.token_bytes(3, true), "<SPECIAL_3>");  // filler for an unlisted special id
  EXPECT_EQ(t.vocab_size(), 5 + 261);
}

TEST(TekkenTokenizer, MalformedFilesAreErrors) {
  auto missing = TekkenTokenizer::from_file(tekken_dir() + "no-such.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kIo);
  EXPECT_FALSE(TekkenTokenizer::from_file(testing::fixture_path("tokenizer/spm/bpe.model")));  // not JSON
  const json good = small_tekken({"ab"});
  ASSERT_TRUE(TekkenTokenizer::from_json(good, "good"));
  std::vector<std::pair<std::string, json>> bad;
  bad.emplace_back("not an object", json::array());
  bad.emplace_back("no vocab", json{{"config", good["config"]}});
  json j = good;
  j["config"].erase("pattern"), bad.emplace_back("no pattern", j);
  j = good, j["config"]["pattern"] = "([unclosed", bad.emplace_back("bad regex", j);
  j = good, j["config"]["default_vocab_size"] = "many", bad.emplace_back("size not an int", j);
  j = good, j["config"]["default_vocab_size"] = 1000000, bad.emplace_back("size above the vocab", j);
  j = good, j["config"]["default_num_special_tokens"] = -3, bad.emplace_back("negative specials", j);
  const int64_t inner = good["config"]["default_vocab_size"].get<int64_t>() -
                        good["config"]["default_num_special_tokens"].get<int64_t>();
  j = good, j["config"]["default_num_special_tokens"] = 2000000000, j["config"]["default_vocab_size"] = 2000000000 + inner;
  bad.emplace_back("two billion specials", j);  // refused up front, not filled with 2e9 filler tokens
  j = good, j["config"]["default_vocab_size"] = INT64_MIN, bad.emplace_back("size at INT64_MIN", j);
  j = good, j["config"]["default_num_special_tokens"] = 2, bad.emplace_back("more listed than ids", j);
  j = good, j["vocab"][7]["rank"] = 8, bad.emplace_back("rank out of order", j);
  j = good, j["vocab"][9]["token_bytes"] = "**", bad.emplace_back("bad base64", j);
  j = good, j["vocab"][9]["token_bytes"] = 12, bad.emplace_back("token_bytes not a string", j);
  j = good, j["vocab"][65]["token_bytes"] = b64("B"), bad.emplace_back("bytes out of order", j);
  j = good, j["vocab"][256]["token_bytes"] = b64("a"), bad.emplace_back("repeated bytes", j);
  j = good, j["special_tokens"][2]["token_str"] = "<s>", bad.emplace_back("repeated special", j);
  j = good, j["special_tokens"][1]["rank"] = 7, bad.emplace_back("special rank", j);
  j = good, j["special_tokens"] = "none", bad.emplace_back("special_tokens not an array", j);
  j = good, j["vocab"][3] = nullptr, bad.emplace_back("null vocab entry", j);
  for (const auto& [what, doc] : bad) {
    auto t = TekkenTokenizer::from_json(doc, what);
    EXPECT_FALSE(t) << what;
    if (!t) EXPECT_NE(t.status().message().find(what), std::string::npos) << t.status().message();
  }
}

}  // namespace
}  // namespace mistralrs
