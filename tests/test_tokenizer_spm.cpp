// The GGUF "llama" (SentencePiece BPE) tokenizer against Hugging Face's ids for the Llama 2
// vocabulary (llama.cpp's test vectors in ../shared/conformance), plus decoding rules.
#include <gtest/gtest.h>

#include "common/paths.h"
#include "common/vocab_cases.h"
#include "formats/gguf.h"
#include "tokenizer/gguf_vocab.h"
#include "tokenizer/spm_tokenizer.h"

namespace mistralrs {
namespace {

using mistralrs::testing::show;

std::string vocab_dir() { return testing::llama_cpp_vocab_dir(); }

std::unique_ptr<Tokenizer> load_vocab(const std::string& name) {
  auto g = GgufFile::open(vocab_dir() + name);
  EXPECT_TRUE(g) << g.status().to_string();
  if (!g) return nullptr;
  auto t = tokenizer_from_gguf(*g.value());
  EXPECT_TRUE(t) << t.status().to_string();
  return t ? std::move(t.value()) : nullptr;
}

class SpmConformance : public ::testing::TestWithParam<const char*> {};

TEST_P(SpmConformance, MatchesReferenceIds) {
  if (vocab_dir().empty()) GTEST_SKIP() << "../shared/conformance is absent";
  const std::string name = GetParam();
  auto tok = load_vocab(name);
  ASSERT_TRUE(tok);
  const auto cases = testing::read_vocab_cases(vocab_dir() + name + ".inp", vocab_dir() + name + ".out");
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
  }
  std::printf("[ measured ] %s: %zu cases, %d differ\n", name.c_str(), cases.size(), failures);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppVocab, SpmConformance,
                         ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"));

// Decoding: word-boundary markers become spaces, byte tokens their bytes, control tokens
// nothing unless rendered; the first piece's prefix space is dropped.
TEST(SpmTokenizer, DecodeRoundTrip) {
  if (vocab_dir().empty()) GTEST_SKIP() << "../shared/conformance is absent";
  auto tok = load_vocab("ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(tok);
  for (const std::string text : {"Hello world", " this is 🦙.cpp", "нещо на Български", "tabs\tand\nnewlines"}) {
    auto ids = tok->encode(text, true, false);
    ASSERT_TRUE(ids);
    EXPECT_EQ(ids.value().front(), tok->bos_id());
    EXPECT_EQ(tok->decode(ids.value(), false), text);
  }
  EXPECT_EQ(tok->token_bytes(tok->bos_id(), true), "<s>");
  EXPECT_EQ(tok->token_bytes(tok->bos_id(), false), "");
}

// With parse_special, "<s>" in the text is the BOS token and the text after it gets the
// legacy prefix space; without it, "<s>" is plain text.
TEST(SpmTokenizer, SpecialTokenText) {
  if (vocab_dir().empty()) GTEST_SKIP() << "../shared/conformance is absent";
  auto tok = load_vocab("ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(tok);
  auto special = tok->encode("<s>Hello", false, true);
  ASSERT_TRUE(special);
  auto plain_hello = tok->encode("Hello", false, false);
  ASSERT_TRUE(plain_hello);
  std::vector<int32_t> expected = {tok->bos_id()};
  expected.insert(expected.end(), plain_hello.value().begin(), plain_hello.value().end());
  EXPECT_EQ(special.value(), expected);
  auto plain = tok->encode("<s>Hello", false, false);
  ASSERT_TRUE(plain);
  EXPECT_NE(plain.value().front(), tok->bos_id());
}

// Hand-built vocabulary: merges follow scores, missing characters fall back to bytes.
TEST(SpmTokenizer, MergesByScoreAndFallsBackToBytes) {
  Vocabulary v;
  v.tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "ab", "\xE2\x96\x81" "a", "<0x21>"};
  v.scores = {0, 0, 0, -1, -1, -1, -2, -3, 0};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kNormal,
             TokenType::kNormal,  TokenType::kNormal,  TokenType::kNormal,  TokenType::kNormal,
             TokenType::kByte};
  v.bos = 1;
  v.eos = 2;
  v.unk = 0;
  auto t = SpmTokenizer::create(v, "test");
  ASSERT_TRUE(t);
  // " ab!" -> "▁ab!": pairs "▁a" (score -3) and "ab" (score -2): "ab" wins, then "▁" + "ab"
  // is not a piece, so the result is ▁ ab, then '!' is not a piece: byte token <0x21>.
  auto ids = t.value()->encode("ab!", false, false);
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids.value(), (std::vector<int32_t>{3, 6, 8}));
  // '?' has neither a piece nor a byte token: <unk>.
  auto unk = t.value()->encode("?", false, false);
  ASSERT_TRUE(unk);
  EXPECT_EQ(unk.value(), (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(t.value()->decode({3, 6, 8}, false), "ab!");
}

}  // namespace
}  // namespace mistralrs
