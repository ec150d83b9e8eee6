// Tokenizers against the peer suite in ../shared/conformance/tokenizer (see its README):
// llama.cpp's vocabulary-only GGUF files with Hugging Face's ids for the same strings, and
// the Llama 2 SentencePiece model, which must agree with the GGUF llama-spm vocabulary.
// The SentencePiece-style GGUF vocabularies (llama-spm, phi-3) are checked against their
// .out files in test_tokenizer_spm.cpp (SpmConformance); this file covers the byte-level BPE
// and WordPiece ones, which run through their tokenizer.json form (gguf_hf_vocab.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/gguf_writer.h"
#include "common/paths.h"
#include "common/vocab_cases.h"
#include "formats/gguf.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/sentencepiece_model.h"

namespace mistralrs {
namespace {

using mistralrs::testing::show;

std::string vocab_dir() { return testing::llama_cpp_vocab_dir(); }

std::unique_ptr<Tokenizer> load_vocab(const std::string& name) {
  auto g = GgufFile::open(vocab_dir() + "ggml-vocab-" + name + ".gguf");
  EXPECT_TRUE(g) << g.status().to_string();
  if (!g) return nullptr;
  auto t = tokenizer_from_gguf(*g.value());
  EXPECT_TRUE(t) << t.status().to_string();
  return t ? std::move(t.value()) : nullptr;
}

std::vector<testing::VocabCase> cases_of(const std::string& name) {
  const std::string base = vocab_dir() + "ggml-vocab-" + name + ".gguf";
  return testing::read_vocab_cases(base + ".inp", base + ".out");
}

class GgufVocabConformance : public ::testing::TestWithParam<const char*> {};

TEST_P(GgufVocabConformance, MatchesHuggingFaceIds) {
  if (vocab_dir().empty()) GTEST_SKIP() << "../shared/conformance is absent";
  const std::string name = GetParam();
  auto tok = load_vocab(name);
  ASSERT_TRUE(tok);
  const auto cases = cases_of(name);
  ASSERT_GT(cases.size(), 10u);
  int failures = 0;
  for (const auto& c : cases) {
    auto ids = tok->encode(c.text, false, false);
    ASSERT_TRUE(ids) << ids.status().to_string();
    if (ids.value() != c.ids) {
      ++failures;
      ADD_FAILURE() << name << ": text '" << c.text << "'\n expected" << show(c.ids) << "\n got     "
                    << show(ids.value());
    }
    // Byte-level BPE loses nothing (BERT lowercases and drops whitespace, so it is skipped).
    if (name != std::string("bert-bge")) EXPECT_EQ(tok->decode(ids.value(), false), c.text) << name;
  }
  std::printf("[ measured ] %s: %zu cases, %d differ\n", name.c_str(), cases.size(), failures);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppVocab, GgufVocabConformance,
                         ::testing::Values("gpt-2", "starcoder", "refact", "mpt", "falcon", "deepseek-coder",
                                           "deepseek-llm", "bert-bge"));

// add_special follows the GGUF keys: deepseek-coder has add_bos_token (BOS 32013), GPT-2
// has none, BERT wraps the text in [CLS] (101) ... [SEP] (102).
TEST(GgufVocab, SpecialTokensAroundText) {
  if (vocab_dir().empty()) GTEST_SKIP() << "../shared/conformance is absent";
  for (const auto& [name, prefix, suffix] :
       {std::tuple<const char*, int32_t, int32_t>{"deepseek-coder", 32013, -1}, {"gpt-2", -1, -1},
        {"bert-bge", 101, 102}}) {
    auto tok = load_vocab(name);
    ASSERT_TRUE(tok);
    auto plain = tok->encode("Hello world", false, false);
    auto with = tok->encode("Hello world", true, false);
    ASSERT_TRUE(plain && with);
    std::vector<int32_t> want;
    if (prefix >= 0) want.push_back(prefix);
    want.insert(want.end(), plain.value().begin(), plain.value().end());
    if (suffix >= 0) want.push_back(suffix);
    EXPECT_EQ(with.value(), want) << name;
  }
}

// The GGUF keys llama.cpp's converter writes for a Llama 3 style tokenizer.json (tokens by id,
// added tokens typed 3 when special and 4 otherwise, merges as "a b", pre "llama-bpe", BOS and
// add_bos_token), read back through our GGUF path, must give the ids Hugging Face gave for the
// original tokenizer.json (tests/fixtures/tokenizer/llama3_split, tools/gen_tokenizer_fixtures.py):
// this covers the llama-bpe pre-tokenizer and ignore_merges, which no .gguf above has.
TEST(GgufVocab, Llama3StyleTokenizerJsonRoundTrip) {
  const std::string dir = testing::fixture_path("tokenizer/llama3_split/");
  if (!std::filesystem::exists(dir + "cases.json")) GTEST_SKIP() << "no tokenizer.json fixture at " << dir;
  auto read = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return nlohmann::json::parse(ss.str());
  };
  const nlohmann::json tj = read(dir + "tokenizer.json"), cases = read(dir + "cases.json");
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  auto put = [&](const std::string& text, int64_t id, int32_t type) {
    if (static_cast<size_t>(id) >= tokens.size()) tokens.resize(id + 1), types.resize(id + 1, 1);
    tokens[id] = text;
    types[id] = type;
  };
  for (const auto& [text, id] : tj["model"]["vocab"].items()) put(text, id.get<int64_t>(), 1);
  for (const auto& a : tj["added_tokens"]) put(a["content"], a["id"].get<int64_t>(), a["special"].get<bool>() ? 3 : 4);
  std::vector<testing::GgufW> tok_items, type_items, merge_items;
  for (size_t i = 0; i < tokens.size(); ++i) {
    tok_items.push_back(testing::gguf_string(tokens[i]));
    type_items.push_back(testing::gguf_i32(types[i]));
  }
  for (const auto& m : tj["model"]["merges"])
    merge_items.push_back(testing::gguf_string(m[0].get<std::string>() + " " + m[1].get<std::string>()));
  testing::GgufWriter w;
  w.kv("tokenizer.ggml.model", testing::gguf_string("gpt2"));
  w.kv("tokenizer.ggml.pre", testing::gguf_string("llama-bpe"));
  w.kv("tokenizer.ggml.tokens", testing::gguf_array(testing::kWString, tok_items));
  w.kv("tokenizer.ggml.token_type", testing::gguf_array(testing::kWI32, type_items));
  w.kv("tokenizer.ggml.merges", testing::gguf_array(testing::kWString, merge_items));
  w.kv("tokenizer.ggml.bos_token_id", testing::gguf_u32(0));
  w.kv("tokenizer.ggml.eos_token_id", testing::gguf_u32(1));
  w.kv("tokenizer.ggml.add_bos_token", testing::gguf_bool(true));
  auto g = GgufFile::open(testing::write_file(testing::make_temp_dir("llama3_gguf"), "vocab.gguf", w.build()));
  ASSERT_TRUE(g) << g.status().to_string();
  auto tok = tokenizer_from_gguf(*g.value());
  ASSERT_TRUE(tok) << tok.status().to_string();
  int differ = 0;
  for (const auto& c : cases) {
    std::string text;
    const std::string hex = c["text_hex"].get<std::string>();
    for (size_t i = 0; i + 1 < hex.size(); i += 2) text += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    for (const auto& [field, add, parse] : {std::tuple{"ids", false, true}, std::tuple{"ids_add_special", true, true},
                                            std::tuple{"ids_no_parse_special", false, false}}) {
      auto ids = tok.value()->encode(text, add, parse);
      ASSERT_TRUE(ids) << ids.status().to_string();
      const auto want = c[field].get<std::vector<int32_t>>();
      if (ids.value() == want) continue;
      ++differ;
      ADD_FAILURE() << field << " of '" << text << "'\n expected" << show(want) << "\n got     " << show(ids.value());
    }
  }
  std::printf("[ measured ] llama3_split via GGUF: %zu texts x 3 modes, %d differ\n", cases.size(), differ);
}

// Strings beyond the .inp files where the two SentencePiece implementations could part ways.
const char* const kHardStrings[] = {
    "", " ", "\t", "\n", "  leading", "trailing  ", "a  b   c", "\r\n\r\n", "Hello\u00a0world",
    "\u3000full-width space", "e\u0301 vs \u00e9", "\xEF\xAC\x81 ligature", "\xE2\x91\xA0 circled",
    "\U0001F999\U0001F999\U0001F999", "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F44D\U0001F3FD",
    "<s>", "</s>", "<unk>", "<s>Hello</s>", "[INST] hi [/INST]", "<0x41>", "\xE2\x96\x81", "\xE2\x96\x81\xE2\x96\x81x",
    "1234567890", "3.14e-10", "x = f(y) + g[z]; // comment", "def f():\n\treturn 1\n",
    "\u0645\u0631\u062D\u0628\u0627", "\u05E9\u05DC\u05D5\u05DD", "\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35",
    "\u1100\u1161\u11A8 jamo", "\uFEFFBOM", "zero\u200Bwidth", "\x7F\x01\x02 controls",
};

// libsentencepiece on llama2-tokenizer.model and our GGUF llama-spm tokenizer (same pieces and
// scores) give the same ids for every string: the .inp strings and the hard strings above.
TEST(SentencePieceVsGguf, Llama2IdsAgree) {
  const std::string c = testing::conformance_dir();
  if (c.empty()) GTEST_SKIP() << "../shared/conformance is absent";
  auto sp = SentencePieceModel::from_file(c + "/tokenizer/sentencepiece/llama2-tokenizer.model");
  ASSERT_TRUE(sp) << sp.status().to_string();
  auto g = GgufFile::open(vocab_dir() + "ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(g);
  auto gguf = tokenizer_from_gguf(*g.value());
  ASSERT_TRUE(gguf);
  std::vector<std::string> texts;
  int hf_agree = 0;
  const auto cases = cases_of("llama-spm");
  for (const auto& vc : cases) {
    texts.push_back(vc.text);
    auto ids = sp.value()->encode(vc.text, false, false);
    ASSERT_TRUE(ids);
    hf_agree += ids.value() == vc.ids;
  }
  for (const char* s : kHardStrings) texts.push_back(s);
  int differ = 0;
  for (const std::string& t : texts) {
    auto a = sp.value()->encode(t, false, false);
    auto b = gguf.value()->encode(t, false, false);
    ASSERT_TRUE(a && b);
    if (a.value() != b.value()) {
      ++differ;
      ADD_FAILURE() << "'" << t << "'\n sentencepiece" << show(a.value()) << "\n gguf         " << show(b.value());
    }
    EXPECT_EQ(sp.value()->decode(a.value(), false), gguf.value()->decode(b.value(), false)) << t;
  }
  EXPECT_EQ(sp.value()->vocab_size(), gguf.value()->vocab_size());
  EXPECT_EQ(sp.value()->bos_id(), gguf.value()->bos_id());
  EXPECT_EQ(sp.value()->eos_id(), gguf.value()->eos_id());
  std::printf("[ measured ] %zu strings: %d differ; sentencepiece = HF ids on %d of %zu .inp strings\n", texts.size(),
              differ, hf_agree, cases.size());
}

}  // namespace
}  // namespace mistralrs
