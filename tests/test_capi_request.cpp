// Background generation requests through the C API on the llama_gqa fixture (GGUF f32,
// greedy tokens from transformers): polling, waiting, callbacks, cancel from another
// thread and from a callback, errors as events, the busy session, free while running.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/capi_runtime.h"
#include "common/paths.h"
#include "mistralrs.h"

namespace {

struct Reference {
  std::vector<int32_t> prompt, greedy;
};

Reference read_reference() {
  std::ifstream f(mistralrs::testing::fixture_path("text/llama_gqa/gguf_f32.expected.json"));
  const nlohmann::json j = nlohmann::json::parse(f);
  return {j["prompt"].get<std::vector<int32_t>>(), j["greedy"].get<std::vector<int32_t>>()};
}

// Every token of the fixture vocabulary is the text "<tok_N>"; token 2 (EOS) has none.
std::string text_of(const std::vector<int32_t>& tokens) {
  std::string s;
  for (int32_t t : tokens) s += t == 2 ? "" : "<tok_" + std::to_string(t) + ">";
  return s;
}

struct Drained {
  std::vector<int32_t> tokens;
  std::string text;
  mistralrs_request_event last{};
  std::string last_text;
  int events = 0;
};

mistralrs_request_event fresh_event() {
  mistralrs_request_event e;
  std::memset(&e, 0, sizeof e);
  e.size = sizeof e;
  return e;
}

// Drains a request as a game loop would: poll until nothing is queued, then sleep a frame.
Drained drain_by_polling(mistralrs_request* r) {
  Drained d;
  for (int frame = 0; frame < 100000; ++frame) {
    mistralrs_request_event e = fresh_event();
    int32_t got;
    while ((got = mistralrs_request_poll(r, &e)) == 1) {
      ++d.events;
      if (e.type == MISTRALRS_EVENT_TOKEN) {
        if (e.token >= 0) d.tokens.push_back(e.token);
        d.text.append(e.text, e.text_len);
        continue;
      }
      d.last = e;
      d.last_text.assign(e.text, e.text_len);
      return d;
    }
    EXPECT_EQ(got, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ADD_FAILURE() << "the request never finished";
  return d;
}

Drained drain_by_waiting(mistralrs_request* r) {
  Drained d;
  mistralrs_request_event e = fresh_event();
  while (mistralrs_request_wait(r, -1, &e) == 1) {
    ++d.events;
    if (e.type == MISTRALRS_EVENT_TOKEN) {
      if (e.token >= 0) d.tokens.push_back(e.token);
      d.text.append(e.text, e.text_len);
      continue;
    }
    d.last = e;
    d.last_text.assign(e.text, e.text_len);
    break;
  }
  return d;
}

class CapiRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mistralrs::testing::create_runtime(2, &rt_), MISTRALRS_OK) << mistralrs_last_error();
    const std::string path = mistralrs::testing::fixture_path("text/llama_gqa/gguf_f32.gguf");
    ASSERT_EQ(mistralrs_model_load(rt_, path.c_str(), nullptr, &model_), MISTRALRS_OK) << mistralrs_last_error();
    ASSERT_EQ(mistralrs_session_create(model_, nullptr, &session_), MISTRALRS_OK);
    ASSERT_EQ(mistralrs_generate_options_create(&gen_), MISTRALRS_OK);
    ASSERT_EQ(mistralrs_generate_options_set_max_tokens(gen_, 32), MISTRALRS_OK);
    ASSERT_EQ(mistralrs_generate_options_set_ignore_eos(gen_, 1), MISTRALRS_OK);
    ASSERT_EQ(mistralrs_request_options_create(&opts_), MISTRALRS_OK);
    ASSERT_EQ(mistralrs_request_options_set_generate_options(opts_, gen_), MISTRALRS_OK);
    ref_ = read_reference();
    ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts_, ref_.prompt.data(), ref_.prompt.size()),
              MISTRALRS_OK);
  }
  void TearDown() override {
    mistralrs_request_options_free(opts_);
    mistralrs_generate_options_free(gen_);
    mistralrs_session_free(session_);
    mistralrs_model_free(model_);
    mistralrs_runtime_free(rt_);
  }
  mistralrs_request* start() {
    mistralrs_request* r = nullptr;
    EXPECT_EQ(mistralrs_request_start(session_, opts_, &r), MISTRALRS_OK) << mistralrs_last_error();
    return r;
  }
  mistralrs_runtime* rt_ = nullptr;
  mistralrs_model* model_ = nullptr;
  mistralrs_session* session_ = nullptr;
  mistralrs_generate_options* gen_ = nullptr;
  mistralrs_request_options* opts_ = nullptr;
  Reference ref_;
};

TEST_F(CapiRequest, PollingGivesTheReferenceTokens) {
  mistralrs_request* r = start();
  ASSERT_NE(r, nullptr);
  const Drained d = drain_by_polling(r);
  EXPECT_EQ(d.tokens, ref_.greedy);
  EXPECT_EQ(d.text, text_of(ref_.greedy));
  EXPECT_EQ(d.last.type, MISTRALRS_EVENT_FINISH);
  EXPECT_EQ(d.last.finish_reason, MISTRALRS_FINISH_MAX_TOKENS);
  EXPECT_EQ(d.last.status, MISTRALRS_OK);
  // Nothing comes after the last event; a wait returns at once.
  mistralrs_request_event e = fresh_event();
  EXPECT_EQ(mistralrs_request_poll(r, &e), 0);
  EXPECT_EQ(mistralrs_request_wait(r, 60000, &e), 0);
  // The session holds prompt + generated tokens, as after session_generate.
  EXPECT_EQ(mistralrs_session_n_past(session_), 72);
  int32_t np = -1, ng = -1;
  ASSERT_EQ(mistralrs_session_generation_stats(session_, &np, nullptr, &ng, nullptr), MISTRALRS_OK);
  EXPECT_EQ(np, 40);
  EXPECT_EQ(ng, 32);
  mistralrs_request_free(r);
}

// A text prompt is tokenized with the model's tokenizer (checked against sentencepiece
// elsewhere): the request gives what the same request with mistralrs_tokenize's ids gives.
TEST_F(CapiRequest, WaitingAndTextPromptGiveTheSameTokens) {
  const std::string text = "<tok_5> cat<tok_17>";
  int32_t ids[64];
  size_t n = 0;
  ASSERT_EQ(mistralrs_tokenize(mistralrs_model_tokenizer(model_), text.data(), text.size(),
                               MISTRALRS_TOKENIZE_ADD_SPECIAL, ids, 64, &n),
            MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts_, ids, n), MISTRALRS_OK);
  mistralrs_request* r = start();
  const Drained by_tokens = drain_by_waiting(r);
  mistralrs_request_free(r);
  ASSERT_EQ(by_tokens.last.type, MISTRALRS_EVENT_FINISH) << by_tokens.last_text;
  ASSERT_EQ(by_tokens.tokens.size(), 32u);
  EXPECT_EQ(mistralrs_session_n_past(session_), static_cast<int32_t>(n) + 32);

  ASSERT_EQ(mistralrs_session_reset(session_), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_options_set_prompt_text(opts_, text.data(), text.size(), MISTRALRS_TOKENIZE_ADD_SPECIAL),
            MISTRALRS_OK);
  r = start();
  const Drained by_text = drain_by_waiting(r);
  mistralrs_request_free(r);
  EXPECT_EQ(by_text.last.type, MISTRALRS_EVENT_FINISH) << by_text.last_text;
  EXPECT_EQ(by_text.tokens, by_tokens.tokens);
  EXPECT_EQ(by_text.text, by_tokens.text);
  EXPECT_EQ(mistralrs_request_options_set_prompt_text(opts_, "x", 1, 0x80), MISTRALRS_ERR_INVALID_ARGUMENT);
}

// A seeded sampling chain and a stop string: the request gives what the synchronous
// session_generate (checked against transformers elsewhere) gives on a second session.
TEST_F(CapiRequest, SamplerSeedAndStopStringMatchSessionGenerate) {
  ASSERT_EQ(mistralrs_generate_options_set_temperature(gen_, 0.9f), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_top_k(gen_, 20), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_seed(gen_, 1234), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_generate_options_set_max_tokens(gen_, 24), MISTRALRS_OK);
  struct Out {
    std::vector<int32_t> tokens;
    std::string text;
  } sync;
  mistralrs_session* other = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &other), MISTRALRS_OK);
  auto collect = [](int32_t token, const char* text, size_t len, void* user) -> int32_t {
    auto* o = static_cast<Out*>(user);
    if (token >= 0) o->tokens.push_back(token);
    o->text.append(text, len);
    return 0;
  };
  int32_t finish = -1;
  ASSERT_EQ(mistralrs_session_generate(other, ref_.prompt.data(), ref_.prompt.size(), gen_, collect, &sync, &finish),
            MISTRALRS_OK);
  ASSERT_GE(sync.tokens.size(), 6u);
  // Stop at the 6th token's text: both paths end right before it.
  const std::string stop = "<tok_" + std::to_string(sync.tokens[5]) + ">";
  ASSERT_EQ(mistralrs_generate_options_add_stop_string(gen_, stop.c_str()), MISTRALRS_OK);
  sync = Out{};
  ASSERT_EQ(mistralrs_session_reset(other), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_generate(other, ref_.prompt.data(), ref_.prompt.size(), gen_, collect, &sync, &finish),
            MISTRALRS_OK);
  EXPECT_EQ(finish, MISTRALRS_FINISH_STOP_STRING);
  ASSERT_EQ(mistralrs_request_options_set_generate_options(opts_, gen_), MISTRALRS_OK);
  mistralrs_request* r = start();
  const Drained d = drain_by_polling(r);
  EXPECT_EQ(d.tokens, sync.tokens);
  EXPECT_EQ(d.text, sync.text);
  EXPECT_EQ(d.text.find(stop), std::string::npos);
  EXPECT_EQ(d.last.finish_reason, MISTRALRS_FINISH_STOP_STRING);
  mistralrs_request_free(r);
  mistralrs_session_free(other);
}

struct Gate {
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::atomic<mistralrs_request*> request{nullptr};
  std::vector<int32_t> tokens;
  int cancel_after = -1;
};

// Blocks in the first call until released: the request is certainly running meanwhile.
int32_t gate_callback(int32_t token, const char*, size_t, void* user) {
  auto* g = static_cast<Gate*>(user);
  g->entered = true;
  while (!g->release) std::this_thread::sleep_for(std::chrono::microseconds(100));
  if (token >= 0) g->tokens.push_back(token);
  if (g->cancel_after >= 0 && static_cast<int>(g->tokens.size()) == g->cancel_after) {
    mistralrs_request* r;
    while ((r = g->request.load()) == nullptr) std::this_thread::yield();
    EXPECT_EQ(mistralrs_request_cancel(r), MISTRALRS_OK);
  }
  return 0;
}

TEST_F(CapiRequest, SessionIsBusyWhileARequestRuns) {
  Gate g;
  g.release = false;
  ASSERT_EQ(mistralrs_request_options_set_callback(opts_, gate_callback, &g), MISTRALRS_OK);
  mistralrs_request* r = start();
  while (!g.entered) std::this_thread::yield();
  std::vector<float> logits(320);
  EXPECT_EQ(mistralrs_session_eval(session_, ref_.prompt.data(), 1, logits.data()), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("busy"), std::string::npos) << mistralrs_last_error();
  EXPECT_EQ(mistralrs_session_generate(session_, ref_.prompt.data(), 1, gen_, nullptr, nullptr, nullptr),
            MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_session_reset(session_), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_session_n_past(session_), -MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_request* second = nullptr;
  EXPECT_EQ(mistralrs_request_start(session_, opts_, &second), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(second, nullptr);
  g.release = true;
  // With a callback, tokens do not become events: only the last event is queued.
  const Drained d = drain_by_waiting(r);
  EXPECT_EQ(d.events, 1);
  EXPECT_EQ(d.last.type, MISTRALRS_EVENT_FINISH);
  EXPECT_EQ(g.tokens, ref_.greedy);
  mistralrs_request_free(r);
  // Idle again once the last event is out.
  EXPECT_EQ(mistralrs_session_eval(session_, ref_.prompt.data(), 1, logits.data()), MISTRALRS_OK);
}

TEST_F(CapiRequest, CancelFromTheCallback) {
  Gate g;
  g.release = true;
  g.cancel_after = 3;
  ASSERT_EQ(mistralrs_request_options_set_callback(opts_, gate_callback, &g), MISTRALRS_OK);
  mistralrs_request* r = start();
  g.request = r;
  const Drained d = drain_by_waiting(r);
  EXPECT_EQ(d.last.type, MISTRALRS_EVENT_FINISH);
  EXPECT_EQ(d.last.finish_reason, MISTRALRS_FINISH_CANCELLED);
  // The 3rd token is evaluated or cancelled between its layers: prompt + 2 or 3 tokens.
  EXPECT_EQ(g.tokens, std::vector<int32_t>(ref_.greedy.begin(), ref_.greedy.begin() + 3));
  EXPECT_GE(mistralrs_session_n_past(session_), 42);
  EXPECT_LE(mistralrs_session_n_past(session_), 43);
  mistralrs_request_free(r);
}

// Cancel from this thread while the worker is in a long prefill (256 tokens in chunks of
// 4): the request finishes cancelled before any token, and the session holds nothing.
TEST_F(CapiRequest, CancelDuringPrefill) {
  mistralrs_session_options* so = nullptr;
  mistralrs_session* s = nullptr;
  ASSERT_EQ(mistralrs_session_options_create(&so), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_options_set_prefill_chunk(so, 4), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_create(model_, so, &s), MISTRALRS_OK);
  std::vector<int32_t> prompt(255);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>(3 + i % 300);
  ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts_, prompt.data(), prompt.size()), MISTRALRS_OK);
  mistralrs_request* r = nullptr;
  ASSERT_EQ(mistralrs_request_start(s, opts_, &r), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_cancel(r), MISTRALRS_OK);
  const Drained d = drain_by_waiting(r);
  EXPECT_EQ(d.last.type, MISTRALRS_EVENT_FINISH);
  EXPECT_EQ(d.last.finish_reason, MISTRALRS_FINISH_CANCELLED);
  EXPECT_TRUE(d.tokens.empty());
  EXPECT_EQ(mistralrs_session_n_past(s), 0);
  mistralrs_request_free(r);
  // session_cancel reaches a running request too.
  ASSERT_EQ(mistralrs_request_start(s, opts_, &r), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_session_cancel(s), MISTRALRS_OK);
  EXPECT_EQ(drain_by_waiting(r).last.finish_reason, MISTRALRS_FINISH_CANCELLED);
  mistralrs_request_free(r);
  mistralrs_session_free(s);
  mistralrs_session_options_free(so);
}

TEST_F(CapiRequest, ErrorsOfBackgroundWorkArriveAsAnEvent) {
  // 300 tokens do not fit in the context of 256: found by the worker's prefill.
  std::vector<int32_t> prompt(300, 5);
  ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts_, prompt.data(), prompt.size()), MISTRALRS_OK);
  mistralrs_request* r = start();
  const Drained d = drain_by_polling(r);
  EXPECT_EQ(d.events, 1);
  EXPECT_EQ(d.last.type, MISTRALRS_EVENT_ERROR);
  EXPECT_EQ(d.last.status, MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(d.last_text.find("exceed the context length"), std::string::npos) << d.last_text;
  mistralrs_request_free(r);
  // Errors found before the start are returned by start.
  const int32_t outside = 320;  // the fixture's vocabulary has 320 tokens
  ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts_, &outside, 1), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_start(session_, opts_, &r), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(r, nullptr);
  ASSERT_EQ(mistralrs_request_options_set_prompt_tokens(opts_, nullptr, 0), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_start(session_, opts_, &r), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mistralrs_last_error()).find("empty prompt"), std::string::npos) << mistralrs_last_error();
  EXPECT_EQ(mistralrs_session_n_past(session_), 0);
}

TEST_F(CapiRequest, FreeingARunningRequestCancelsAndJoinsIt) {
  ASSERT_EQ(mistralrs_generate_options_set_max_tokens(gen_, 100000), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_options_set_generate_options(opts_, gen_), MISTRALRS_OK);
  mistralrs_request* r = start();
  mistralrs_request_free(r);
  // The session is free again at once, and whole: prompt + at most the generated tokens.
  const int32_t n = mistralrs_session_n_past(session_);
  EXPECT_GE(n, 0);
  EXPECT_LE(n, 256);
  EXPECT_EQ(mistralrs_session_reset(session_), MISTRALRS_OK);
  // Freeing the session first cancels and joins its request; the request is freed after.
  mistralrs_session* s = nullptr;
  ASSERT_EQ(mistralrs_session_create(model_, nullptr, &s), MISTRALRS_OK);
  ASSERT_EQ(mistralrs_request_start(s, opts_, &r), MISTRALRS_OK);
  mistralrs_session_free(s);
  const Drained d = drain_by_waiting(r);
  EXPECT_EQ(d.last.type, MISTRALRS_EVENT_FINISH);
  mistralrs_request_free(r);
  mistralrs_request_free(nullptr);
}

// The library writes no more of an event than its size says.
TEST_F(CapiRequest, EventSizeBoundsWhatIsWritten) {
  mistralrs_request* r = start();
  mistralrs_request_event e;
  std::memset(&e, 0xAB, sizeof e);
  e.size = 4;  // too small even for the type: an error, and the event stays queued
  EXPECT_EQ(mistralrs_request_wait(r, -1, &e), -MISTRALRS_ERR_INVALID_ARGUMENT);
  e.size = 8;  // size and type only
  ASSERT_EQ(mistralrs_request_wait(r, -1, &e), 1);
  EXPECT_EQ(e.size, 8u);
  EXPECT_EQ(e.type, MISTRALRS_EVENT_TOKEN);
  unsigned char rest[sizeof e - 8];
  std::memcpy(rest, reinterpret_cast<unsigned char*>(&e) + 8, sizeof rest);
  for (unsigned char b : rest) ASSERT_EQ(b, 0xAB);
  e = fresh_event();
  ASSERT_EQ(mistralrs_request_wait(r, -1, &e), 1);
  EXPECT_EQ(e.token, ref_.greedy[1]);  // the first event was the first token
  EXPECT_EQ(e.text[e.text_len], '\0');
  EXPECT_EQ(mistralrs_request_poll(r, nullptr), -MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_request_poll(nullptr, &e), -MISTRALRS_ERR_INVALID_ARGUMENT);
  mistralrs_request_free(r);
}

}  // namespace
