// The text-generation C API end to end on the llama_gqa fixture (GGUF f32, whose
// reference logits and greedy tokens come from transformers): loading and its errors,
// eval, generation with callbacks, stop strings, tokenize/detokenize and their buffers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/capi_runtime.h"
#include "common/paths.h"
#include "mistralrs.h"

namespace {

struct Reference {
  std::vector<int32_t> prompt, greedy;
  std::vector<float> last_logits;
};

Reference read_reference() {
  const std::string dir = mistralrs::testing::fixture_path("text/llama_gqa/");
  std::ifstream f(dir + "gguf_f32.expected.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  Reference r;
  r.prompt = j["prompt"].get<std::vector<int32_t>>();
  r.greedy = j["greedy"].get<std::vector<int32_t>>();
  const int64_t n = j["logits_shape"][0].get<int64_t>(), v = j["logits_shape"][1].get<int64_t>();
  std::vector<float> all(static_cast<size_t>(n * v));
  std::ifstream lf(dir + j["logits_file"].get<std::string>(), std::ios::binary);
  lf.read(reinterpret_cast<char*>(all.data()), static_cast<std::streamsize>(all.size() * 4));
  r.last_logits.assign(all.end() - v, all.end());
  return r;
}

class CapiText : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mistralrs::testing::create_runtime(2, &rt_), MISTRALRS_OK) << mistralrs_last_error();
    path_ = mistralrs::testing::fixture_path("text/llama_gqa/gguf_f32.gguf");
    ASSERT_EQ(mistralrs_model_load(rt_, path_.c_str(), nullptr, &model_), MISTRALRS_OK) << mistralrs_last_error();
    ref_ = read_reference();
  }
  void TearDown() override {
    mistralrs_model_free(model_);
    mistralrs_runtime_free(rt_);
  }
  mistralrs_runtime* rt_ = nullptr;
  mistralrs_model* model_ = nullptr;
  std::string path_;
  Reference ref_;
};

TEST_F(CapiText, ModelQueries) {
  EXPECT_EQ(mistralrs_model_vocab_size(model_), 320);
  EXPECT_EQ(mistralrs_model_context_length(model_), 256);
  EXPECT_LT(mistralrs_model_vocab_size(nullptr), 0);
  EXPECT_NE(mistralrs_model_tokenizer(model_), nullptr);
  EXPECT_EQ(mistralrs_model_tokenizer(nullptr), nullptr);
}

TEST_F(CapiText, LoadErrorsNameTheProblem) {
  mistralrs_model* m = nullptr;
  EXPECT_EQ(mistralrs_model_load(nullptr, path_.c_str(), nullptr, &m), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_load(rt_, nullptr, nullptr, &m), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_load(rt_, "/no/such/model.gguf", nullptr, &m), MISTRALRS_ERR_IO);
  EXPECT_NE(std::string(mistralrs_last_error()).find("/no/such/model.gguf"), std::string::npos);
  EXPECT_EQ(m, nullptr);
  // A truncated copy of a real file: the reader reports the file and the problem.
  const std::string cut = ::testing::TempDir() + "/truncated.gguf";
  {
    std::ifstream in(path_, std::ios::binary);
    std::vector<char> bytes(4000);
    in.read(bytes.data(), 4000);
    std::ofstream out(cut, std::ios::binary);
    out.write(bytes.data(), 4000);
  }
  const int32_t st = mistralrs_model_load(rt_, cut.c_str(), nullptr, &m);
  EXPECT_NE(st, MISTRALRS_OK);
  EXPECT_NE(std::string(mistralrs_last_error()).find("truncated.gguf"), std::string::npos) << mistralrs_last_error();
  // A directory without config.json.
  EXPECT_NE(mistralrs_model_load(rt_, ::testing::TempDir().c_str(), nullptr, &m), MISTRALRS_OK);
  EXPECT_NE(std::string(mistralrs_last_error()).find("config.json"), std::string::npos) << mistralrs_last_error();
}

TEST_F(CapiText, EvalGivesReferenceLogits) {
  mistralrs_session* s = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &s), MISTRALRS_OK);
  std::vector<float> logits(320);
  // Two calls (prefill in pieces) give the same logits as one.
  ASSERT_EQ(mistralrs_session_eval(s, ref_.prompt.data(), 25, nullptr), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_eval(s, ref_.prompt.data() + 25, ref_.prompt.size() - 25, logits.data()), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_session_n_past(s), 40);
  for (size_t i = 0; i < logits.size(); ++i) ASSERT_NEAR(logits[i], ref_.last_logits[i], 1e-4) << i;
  // Out-of-range token: an error, and nothing appended.
  const int32_t bad = 320;
  EXPECT_EQ(mistralrs_session_eval(s, &bad, 1, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(mistralrs_session_n_past(s), 40);
  EXPECT_EQ(mistralrs_session_reset(s), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_session_n_past(s), 0);
  mistralrs_session_free(s);
}

struct Collected {
  std::vector<int32_t> tokens;
  std::string text;
  int stop_after = -1;
};

int32_t collect(int32_t token, const char* text, size_t len, void* user) {
  auto* c = static_cast<Collected*>(user);
  if (token >= 0) c->tokens.push_back(token);
  c->text.append(text, len);
  return c->stop_after >= 0 && static_cast<int>(c->tokens.size()) >= c->stop_after ? 1 : 0;
}

TEST_F(CapiText, GreedyGenerationMatchesReference) {
  mistralrs_session* s = nullptr;
  mistralrs_generate_options* g = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &s), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_create(&g), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_max_tokens(g, 32), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(g, 1), MISTRALRS_OK);
  Collected c;
  int32_t finish = -1;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &c, &finish),
            MISTRALRS_OK) << mistralrs_last_error();
  EXPECT_EQ(finish, MISTRALRS_FINISH_MAX_TOKENS);
  EXPECT_EQ(c.tokens, ref_.greedy);
  // Every token of this vocabulary is the text "<tok_N>".
  std::string expected_text;
  for (int32_t t : ref_.greedy) expected_text += t == 2 ? "" : "<tok_" + std::to_string(t) + ">";
  EXPECT_EQ(c.text, expected_text);
  int32_t np = -1, ng = -1;
  double tp = -1, tg = -1;
  ASSERT_EQ(mistralrs_session_generation_stats(s, &np, &tp, &ng, &tg), MISTRALRS_OK);
  EXPECT_EQ(np, 40);
  EXPECT_EQ(ng, 32);
  EXPECT_GT(tp, 0.0);
  EXPECT_GT(tg, 0.0);
  mistralrs_generate_options_free(g);
  mistralrs_session_free(s);
}

TEST_F(CapiText, CallbackStopAndStopStrings) {
  mistralrs_session* s = nullptr;
  mistralrs_generate_options* g = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &s), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_create(&g), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(g, 1), MISTRALRS_OK);
  Collected c;
  c.stop_after = 3;
  int32_t finish = -1;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &c, &finish), MISTRALRS_OK);
  EXPECT_EQ(finish, MISTRALRS_FINISH_CALLBACK);
  EXPECT_EQ(c.tokens.size(), 3u);
  // The stop token was reported but not evaluated: prompt + 2 tokens are in the session.
  EXPECT_EQ(mistralrs_session_n_past(s), 42);

  // Stop at the text of the 4th greedy token: the text ends right before it.
  ASSERT_EQ(mistralrs_session_reset(s), MISTRALRS_OK);
  const std::string stop = "<tok_" + std::to_string(ref_.greedy[3]) + ">";
  ASSERT_EQ(mistralrs_generate_options_add_stop_string(g, stop.c_str()), MISTRALRS_OK);
  Collected d;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &d, &finish), MISTRALRS_OK);
  EXPECT_EQ(finish, MISTRALRS_FINISH_STOP_STRING);
  std::string before;
  for (int i = 0; i < 3; ++i) before += "<tok_" + std::to_string(ref_.greedy[static_cast<size_t>(i)]) + ">";
  EXPECT_EQ(d.text, before);
  EXPECT_EQ(mistralrs_generate_options_add_stop_string(g, ""), MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_generate_options_free(g);
  mistralrs_session_free(s);
}

// Generation through a full sampler chain: a seed gives the same tokens every time, and a
// chain whose top-k is 1 reproduces greedy decoding whatever the temperature.
TEST_F(CapiText, GenerationWithSamplerChain) {
  mistralrs_session* s = nullptr;
  mistralrs_generate_options* g = nullptr;
  mistralrs_sampler_params* sp = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &s), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_create(&g), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_max_tokens(g, 16), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(g, 1), MISTRALRS_OK);
  ASSERT_NE(sp = mistralrs_sampler_params_create(), nullptr);
  ASSERT_EQ(mistralrs_sampler_params_set_temperature(sp, 1.5f), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_sampler_params_set_seed(sp, 7), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_sampler(g, sp), MISTRALRS_OK);
  Collected a, b;
  int32_t finish = -1;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &a, &finish), MISTRALRS_OK)
      << mistralrs_last_error();
  ASSERT_EQ(mistralrs_session_reset(s), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &b, &finish), MISTRALRS_OK);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.tokens.size(), 16u);
  ASSERT_EQ(mistralrs_sampler_params_set_top_k(sp, 1), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_sampler(g, sp), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_reset(s), MISTRALRS_OK);
  Collected c;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &c, &finish), MISTRALRS_OK);
  EXPECT_EQ(c.tokens, std::vector<int32_t>(ref_.greedy.begin(), ref_.greedy.begin() + 16));
  EXPECT_EQ(mistralrs_generate_options_set_sampler(g, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_sampler_params_free(sp);
  mistralrs_generate_options_free(g);
  mistralrs_session_free(s);
}

TEST_F(CapiText, ContextFullEndsGeneration) {
  mistralrs_session_options* so = nullptr;
  mistralrs_session* s = nullptr;
  ASSERT_EQ(mistralrs_session_options_create(&so), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_options_set_context_length(so, 44), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_options_set_prefill_chunk(so, 7), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_create(model_, so, &s), MISTRALRS_OK);
  mistralrs_generate_options* g = nullptr;
  ASSERT_EQ(mistralrs_generate_options_create(&g), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(g, 1), MISTRALRS_OK);
  Collected c;
  int32_t finish = -1;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, collect, &c, &finish), MISTRALRS_OK);
  EXPECT_EQ(finish, MISTRALRS_FINISH_CONTEXT_FULL);
  // Chunks of 7 give the same tokens as the reference; 4 more positions fit + 1 sampled.
  ASSERT_EQ(c.tokens.size(), 5u);
  for (size_t i = 0; i < c.tokens.size(); ++i) EXPECT_EQ(c.tokens[i], ref_.greedy[i]);
  // A prompt longer than the context is an error, and the session keeps what it had.
  const int32_t n_before = mistralrs_session_n_past(s);
  EXPECT_EQ(mistralrs_session_eval(s, ref_.prompt.data(), 40, nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_session_n_past(s), n_before);
  mistralrs_generate_options_free(g);
  mistralrs_session_free(s);
  mistralrs_session_options_free(so);
}

TEST_F(CapiText, TokenizeAndDetokenize) {
  const mistralrs_tokenizer* t = mistralrs_model_tokenizer(model_);
  ASSERT_NE(t, nullptr);
  // The fixture vocabulary's pieces are "<tok_N>"; with byte-less pieces, text made of
  // whole pieces tokenizes into them (after the prefix-space rule, which finds no piece).
  const int32_t ids_in[] = {5, 17, 300};
  char text[64];
  size_t len = 0;
  ASSERT_EQ(mistralrs_detokenize(t, ids_in, 3, 0, text, sizeof text, &len), MISTRALRS_OK);
  EXPECT_EQ(std::string(text, len), "<tok_5><tok_17><tok_300>");
  EXPECT_EQ(mistralrs_detokenize(t, ids_in, 3, 0, text, 4, &len), MISTRALRS_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(len, 24u);
  const int32_t bad[] = {320};
  EXPECT_EQ(mistralrs_detokenize(t, bad, 1, 0, text, sizeof text, &len), MISTRALRS_ERR_INVALID_ARGUMENT);
  int32_t ids[8];
  size_t n = 0;
  ASSERT_EQ(mistralrs_tokenize(t, "", 0, MISTRALRS_TOKENIZE_ADD_SPECIAL, ids, 8, &n), MISTRALRS_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(ids[0], 1);  // BOS
  EXPECT_EQ(mistralrs_tokenize(t, "", 0, MISTRALRS_TOKENIZE_ADD_SPECIAL, ids, 0, &n), MISTRALRS_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(mistralrs_tokenize(nullptr, "x", 1, 0, ids, 8, &n), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_tokenize(t, "x", 1, 0x80, ids, 8, &n), MISTRALRS_ERR_INVALID_ARGUMENT);
}

}  // namespace

namespace {

struct CancelFromCallback {
  mistralrs_session* session = nullptr;
  int tokens = 0;
};

int32_t cancel_after_two(int32_t token, const char*, size_t, void* user) {
  auto* c = static_cast<CancelFromCallback*>(user);
  if (token >= 0 && ++c->tokens == 2) mistralrs_session_cancel(c->session);
  return 0;
}

// A cancel from inside the callback ends generation with FINISH_CANCELLED and keeps what
// was generated; the next call is not affected.
TEST_F(CapiText, CancelFromCallback) {
  mistralrs_session* s = nullptr;
  mistralrs_generate_options* g = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &s), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_create(&g), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(g, 1), MISTRALRS_OK);
  CancelFromCallback c{s, 0};
  int32_t finish = -1;
  ASSERT_EQ(mistralrs_session_generate(s, ref_.prompt.data(), ref_.prompt.size(), g, cancel_after_two, &c, &finish),
            MISTRALRS_OK);
  EXPECT_EQ(finish, MISTRALRS_FINISH_CANCELLED);
  EXPECT_EQ(c.tokens, 2);
  // The second token was evaluated before the flag was read (between layers of the next
  // step): prompt + 1 or 2 tokens are in the session, never more.
  EXPECT_GE(mistralrs_session_n_past(s), 41);
  EXPECT_LE(mistralrs_session_n_past(s), 42);
  // A cancel between calls does nothing.
  EXPECT_EQ(mistralrs_session_cancel(s), MISTRALRS_OK);
  std::vector<float> logits(320);
  EXPECT_EQ(mistralrs_session_reset(s), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_session_eval(s, ref_.prompt.data(), ref_.prompt.size(), logits.data()), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_session_cancel(nullptr), MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_generate_options_free(g);
  mistralrs_session_free(s);
}

// Cancel from a second thread during a long prefill (a 256-token prompt, the whole
// context, in chunks of 4): eval returns CANCELLED and appends nothing.
TEST_F(CapiText, CancelFromAnotherThreadDuringPrefill) {
  mistralrs_session_options* so = nullptr;
  mistralrs_session* s = nullptr;
  ASSERT_EQ(mistralrs_session_options_create(&so), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_options_set_prefill_chunk(so, 4), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_create(model_, so, &s), MISTRALRS_OK);
  std::vector<int32_t> prompt(256);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>(3 + i % 300);
  std::atomic<bool> started{false};
  std::atomic<int32_t> st{-1};
  std::thread worker([&] {
    started = true;
    // Repeat until a run is caught in flight (each run takes a few milliseconds here).
    for (int i = 0; i < 200; ++i) {
      mistralrs_session_reset(s);
      st = mistralrs_session_eval(s, prompt.data(), prompt.size(), nullptr);
      if (st == MISTRALRS_ERR_CANCELLED) return;
    }
  });
  while (!started) std::this_thread::yield();
  for (int i = 0; i < 20000 && st != MISTRALRS_ERR_CANCELLED; ++i) {
    mistralrs_session_cancel(s);
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  worker.join();
  EXPECT_EQ(st.load(), MISTRALRS_ERR_CANCELLED);
  EXPECT_EQ(mistralrs_session_n_past(s), 0);
  mistralrs_session_free(s);
  mistralrs_session_options_free(so);
}

}  // namespace
