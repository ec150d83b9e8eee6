// The DRY breaker table on real vocabularies from ../shared/conformance (llama.cpp's
// ggml-vocab-llama-spm.gguf: Llama 2's SentencePiece vocabulary; ggml-vocab-phi-3.gguf:
// the same pieces plus Phi-3's chat tokens). Token ids below were read off the vocabulary
// (token_bytes shown beside each); newlines are byte-fallback token 13 (<0x0A>), and the
// vocabulary has no piece containing "\n" besides it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "common/paths.h"
#include "formats/gguf.h"
#include "sampling/dry.h"
#include "sampling/sampler_chain.h"
#include "tokenizer/gguf_vocab.h"

namespace mistralrs {
namespace {

using Tokens = std::vector<int32_t>;

std::unique_ptr<Tokenizer> load(const std::string& name) {
  const std::string dir = testing::llama_cpp_vocab_dir();
  if (dir.empty()) return nullptr;
  auto g = GgufFile::open(dir + name);
  EXPECT_TRUE(g) << g.status().to_string();
  if (!g) return nullptr;
  auto t = tokenizer_from_gguf(*g.value());
  EXPECT_TRUE(t) << t.status().to_string();
  return t ? std::move(t.value()) : nullptr;
}

class DryBreakersLlama : public ::testing::Test {
 protected:
  void SetUp() override {
    tok_ = load("ggml-vocab-llama-spm.gguf");
    if (!tok_) GTEST_SKIP() << "../shared/conformance is absent";
  }
  DryBreakerTable build(std::vector<std::string> texts) {
    std::vector<DryBreaker> b;
    for (auto& t : texts) b.push_back({t, {}});
    auto t = DryBreakerTable::build(b, tok_.get());
    EXPECT_TRUE(t) << t.status().to_string();
    return t ? std::move(t.value()) : DryBreakerTable{};
  }
  std::vector<int32_t> heads(const DryBreakerTable& t) const {
    std::vector<int32_t> h;
    for (int32_t id = 0; id < tok_->vocab_size(); ++id)
      if (t.is_head(id)) h.push_back(id);
    return h;
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(DryBreakersLlama, NewlineIsOneTokenAndHasNoHeads) {
  const auto t = build({"\n"});
  EXPECT_EQ(t.n_single(), 1u);
  EXPECT_TRUE(t.is_breaker(13));  // <0x0A>
  EXPECT_EQ(t.n_heads(), 0u);     // a one-byte breaker has no proper prefix
}

TEST_F(DryBreakersLlama, ColonCoversEveryTokenContainingIt) {
  const auto t = build({":"});
  EXPECT_EQ(t.n_heads(), 0u);
  for (int32_t id : {29901 /* ":" */, 584 /* " :" */, 61 /* <0x3A> */, 1057 /* "::" */, 597 /* "://" */})
    EXPECT_TRUE(t.is_breaker(id)) << id;
  size_t containing = 0;
  for (int32_t id = 0; id < tok_->vocab_size(); ++id) {
    const bool has = tok_->token_bytes(id, true).find(':') != std::string::npos;
    containing += has;
    EXPECT_EQ(t.is_breaker(id), has) << id << " '" << tok_->token_bytes(id, true) << "'";
  }
  EXPECT_EQ(t.n_single(), containing);
  EXPECT_EQ(containing, 61u);
}

TEST_F(DryBreakersLlama, DoubleNewlineIsAHeadFollowedByItsTail) {
  const auto t = build({"\n\n"});
  EXPECT_EQ(t.n_single(), 0u);  // no piece holds two newlines
  EXPECT_EQ(heads(t), (Tokens{13}));
  ASSERT_EQ(t.tails(13).size(), 1u);
  EXPECT_EQ(t.tails(13)[0], (Tokens{13}));
  EXPECT_EQ(t.tokens_since_breaker(Tokens{450, 13, 13, 450, 3186}), 2u);  // "\n\n" then 2 tokens
  EXPECT_EQ(t.tokens_since_breaker(Tokens{450, 13, 450, 3186}), 4u);     // one "\n": no breaker
  EXPECT_EQ(t.tokens_since_breaker(Tokens{450, 13, 13}), 0u);             // newest ends a breaker
  EXPECT_EQ(t.tokens_since_breaker(Tokens{450, 13}), 2u);                 // the tail may still come
}

TEST_F(DryBreakersLlama, NewlineAndDoubleNewlineTogether) {
  // Ambiguous: 13 is a breaker on its own ("\n") and the head of "\n\n". The single-token
  // rule takes precedence: the usable text ends at any newline.
  const auto t = build({"\n", "\n\n"});
  EXPECT_TRUE(t.is_breaker(13));
  EXPECT_EQ(t.tokens_since_breaker(Tokens{450, 13, 450, 3186}), 2u);
}

TEST_F(DryBreakersLlama, NameSpanningSeveralTokens) {
  const auto t = build({"User:"});
  EXPECT_EQ(t.n_single(), 0u);
  // Every piece ending with a proper prefix of "User:" heads the rest, tokenized mid-text.
  EXPECT_EQ(t.tails(2659)[0], (Tokens{29901}));           // "User" + ":"
  EXPECT_EQ(t.tails(4911)[0], (Tokens{29901}));           // " User" + ":"
  EXPECT_EQ(t.tails(10783)[0], (Tokens{261, 29901}));     // " Us" + "er" ":"
  EXPECT_EQ(t.tails(88)[0], (Tokens{643, 29901}));        // "U" + "ser" ":"
  EXPECT_FALSE(t.is_head(261));                           // "er" is not a prefix of "User:"
  // "Hello\nUser: hi" is 15043 " Hello", 13, 2659 "User", 29901 ":", 7251 " hi".
  auto ids = tok_->encode("Hello\nUser: hi", false, false);
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids.value(), (Tokens{15043, 13, 2659, 29901, 7251}));
  EXPECT_EQ(t.tokens_since_breaker(ids.value()), 1u);
  // However the name was split, as long as the rest follows as the vocabulary tokenizes it.
  EXPECT_EQ(t.tokens_since_breaker(Tokens{15043, 10783, 261, 29901, 7251}), 1u);
  EXPECT_EQ(t.tokens_since_breaker(Tokens{15043, 4911, 29901}), 0u);
  EXPECT_EQ(t.tokens_since_breaker(Tokens{15043, 4911, 7251}), 3u);  // " User hi": no colon
}

TEST_F(DryBreakersLlama, AHeadWithSeveralTails) {
  // "User:" and "Username": 2659 "User" heads both ":" and "name" (tokenized mid-text).
  const auto t = build({"User:", "Username"});
  ASSERT_EQ(t.tails(2659).size(), 2u);
  auto name = dry_tail_tokens(*tok_, "name");
  ASSERT_TRUE(name);
  EXPECT_EQ(tok_->decode(name.value(), true), "name");
  Tokens with_name = {15043, 2659};
  with_name.insert(with_name.end(), name.value().begin(), name.value().end());
  EXPECT_EQ(t.tokens_since_breaker(with_name), 0u);
  EXPECT_EQ(t.tokens_since_breaker(Tokens{15043, 2659, 29901}), 0u);
  EXPECT_EQ(t.tokens_since_breaker(Tokens{15043, 2659, 7251}), 3u);
}

TEST_F(DryBreakersLlama, BreakerLimits) {
  // Tails are capped at kDryMaxTailTokens (8): "Q" + 12 newlines makes each piece ending
  // in "Q" a head whose tail is 13 x 8, and a breaker is at most kDryMaxBreakerBytes (40).
  const auto t = build({"Q" + std::string(12, '\n')});
  const int32_t q = 29984;  // "Q"
  ASSERT_EQ(tok_->token_bytes(q, true), "Q");
  ASSERT_TRUE(t.is_head(q));
  EXPECT_EQ(t.tails(q)[0], Tokens(kDryMaxTailTokens, 13));
  Tokens w = {450, q};
  w.insert(w.end(), 8, 13);
  EXPECT_EQ(t.tokens_since_breaker(w), 0u);  // a capped tail matches after 8 newlines
  std::vector<DryBreaker> too_long = {{std::string(kDryMaxBreakerBytes + 1, 'a'), {}}};
  auto bad = DryBreakerTable::build(too_long, tok_.get());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("at most 40 bytes"), std::string::npos);
}

TEST_F(DryBreakersLlama, ChainUsesTheTableWithTheDefaultBreakers) {
  // "a: b c a: b" repeats; the default breakers include ":", so the repeat that DRY may
  // see is only " b" (1 token < allowed_length 2): no penalty. Without breakers the
  // whole "a: b" (n = 4) would be.
  auto ids = tok_->encode("x a: b c a: b", false, false);
  ASSERT_TRUE(ids);
  SamplerParams p;
  p.dry.multiplier = 0.8f;
  const auto start = std::chrono::steady_clock::now();
  auto chain = SamplerChain::create(p, tok_.get(), 4096);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ measured ] breaker table for the 4 default breakers over 32000 tokens: %.1f ms\n", ms);
  ASSERT_TRUE(chain) << chain.status().to_string();
  for (int32_t t : ids.value()) ASSERT_TRUE(chain.value()->accept(t).is_ok());
  std::vector<float> row(static_cast<size_t>(tok_->vocab_size()), 0.0f);
  ASSERT_TRUE(chain.value()->apply(row.data(), row.size()).is_ok());
  for (float x : row) ASSERT_EQ(x, 0.0f);
  p.dry.breakers.clear();
  auto bare = SamplerChain::create(p, tok_.get(), 4096);
  for (int32_t t : ids.value()) ASSERT_TRUE(bare.value()->accept(t).is_ok());
  ASSERT_TRUE(bare.value()->apply(row.data(), row.size()).is_ok());
  const Tokens& v = ids.value();  // the token after the first " b" (" c") continues the repeat
  const auto first_b = static_cast<size_t>(std::find(v.begin(), v.end(), v.back()) - v.begin());
  EXPECT_LT(row[static_cast<size_t>(v[first_b + 1])], 0.0f);
}

TEST(DryBreakersPhi3, SpecialTokensCountAsTheirText) {
  auto tok = load("ggml-vocab-phi-3.gguf");
  if (!tok) GTEST_SKIP() << "../shared/conformance is absent";
  std::vector<DryBreaker> b = {{"<|user|>", {}}};
  auto t = DryBreakerTable::build(b, tok.get());
  ASSERT_TRUE(t) << t.status().to_string();
  ASSERT_EQ(tok->token_bytes(32010, true), "<|user|>");
  EXPECT_TRUE(t.value().is_breaker(32010));
  EXPECT_EQ(t.value().n_single(), 1u);
  // Typed out as text it is 29966 "<", 29989 "|", 1792 "user", 29989 "|", 29958 ">".
  EXPECT_EQ(t.value().tails(29966)[0], (Tokens{29989, 1792, 29989, 29958}));
  EXPECT_EQ(t.value().tokens_since_breaker(Tokens{450, 29966, 29989, 1792, 29989, 29958, 450}), 1u);
}

}  // namespace
}  // namespace mistralrs
