// mistralrs_request_*: one generation on a session, run on a worker thread of its own and
// consumed by polling, by a blocking wait or by a callback.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <vector>

#include "capi/guard.h"
#include "capi/handles.h"
#include "capi/request_state.h"
#include "pipeline/text_generation.h"
#include "tokenizer/apply_chat_template.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;
using capi::RequestEvent;
using capi::RequestState;

// What the prompt setters stored. Chat messages are rendered with the model's template in
// prompt_tokens() and then tokenized.
enum class PromptKind { kNone, kTokens, kText, kMessages };

struct mistralrs_request_options {
  PromptKind prompt_kind = PromptKind::kNone;
  std::vector<int32_t> tokens;
  std::string text;
  uint32_t tokenize_flags = 0;
  bool add_generation_prompt = true;  // kMessages
  GenerateParams params;
  mistralrs_token_callback callback = nullptr;
  void* user_data = nullptr;
};

struct mistralrs_request {
  std::shared_ptr<RequestState> state;
  std::string held_text;  // the text of the event taken last; event.text points into it
};

namespace mistralrs::capi {

// ---- RequestState --------------------------------------------------------------------

void RequestState::push(RequestEvent event, bool last) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last) last_pushed_ = true;  // even if the event cannot be queued, waiters wake
    try {
      queue_.push_back(std::move(event));
    } catch (...) {  // out of memory: the event is lost, never the process
    }
  }
  cv_.notify_all();
}

bool RequestState::pop(RequestEvent* event, int32_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto ready = [&] { return !queue_.empty() || last_pushed_; };
  if (timeout_ms < 0) {
    cv_.wait(lock, ready);
  } else if (timeout_ms > 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), ready);
  }
  if (queue_.empty()) return false;
  *event = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void RequestState::join() {
  if (on_worker_thread()) return;  // the worker holds this state and finishes on its own
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_ || !started_; });
}

void RequestState::mark_done() {
  std::lock_guard<std::mutex> lock(mu_);
  started_ = false;
  done_ = true;
  cv_.notify_all();
}

Status check_idle(const mistralrs_session& session) {
  if (session.busy.load(std::memory_order_acquire))
    return invalid_argument("the session is busy with a running request");
  return Status::ok();
}

}  // namespace mistralrs::capi

namespace {

// The tokens a request reports: to the caller's callback, or queued as TOKEN events.
TokenCallback token_sink(const std::shared_ptr<RequestState>& st, mistralrs_token_callback callback,
                         void* user_data) {
  if (callback)
    return [callback, user_data](int32_t token, std::string_view text) {
      return callback(token, text.data(), text.size(), user_data) == 0;
    };
  return [st](int32_t token, std::string_view text) {
    RequestEvent e;
    e.type = MISTRALRS_EVENT_TOKEN;
    e.token = token;
    e.text.assign(text);
    st->push(std::move(e), false);
    return true;
  };
}

RequestEvent error_event(StatusCode code, const std::string& message) {
  RequestEvent e;
  e.type = MISTRALRS_EVENT_ERROR;
  e.status = static_cast<int32_t>(code);
  e.text = "mistralrs_request: " + message;
  return e;
}

// The worker's body: steps the run (validated by mistralrs_request_start) to its end. The
// session outlives it: mistralrs_session_free cancels and joins the worker first.
void run_request(mistralrs_session* s, const std::shared_ptr<RequestState>& st, std::shared_ptr<TextGeneration>& run) {
  RequestEvent last;
  last.type = MISTRALRS_EVENT_ERROR;
  last.status = static_cast<int32_t>(StatusCode::kInternal);
  try {
    try {
      const Status done = run_to_completion(*run, &st->cancel);
      if (done.is_ok()) {
        last.type = MISTRALRS_EVENT_FINISH;
        last.status = 0;
        last.finish_reason = static_cast<int32_t>(run->finish_reason());
      } else {
        last = error_event(done.code(), done.message());
      }
    } catch (const std::bad_alloc&) {
      last = error_event(StatusCode::kOutOfMemory, "out of memory");
    } catch (const std::exception& e) {
      last = error_event(StatusCode::kInternal, e.what());
    } catch (...) {
      last = error_event(StatusCode::kInternal, "unknown exception");
    }
  } catch (...) {  // building the error event itself failed (out of memory): a bare ERROR
  }
  // Nothing of the run outlives the session: it goes first. Then the session is released
  // (busy cleared under active_mu, so a session_free that sees no active request never races
  // with this thread) before the last event is queued: whoever sees it may use the session.
  run.reset();
  {
    std::lock_guard<std::mutex> lock(s->active_mu);
    s->active.reset();
    s->busy.store(false, std::memory_order_release);
  }
  st->push(std::move(last), true);
}

Expected<std::vector<int32_t>> prompt_tokens(const mistralrs_session& s, const mistralrs_request_options& o) {
  if (o.prompt_kind != PromptKind::kText && o.prompt_kind != PromptKind::kMessages) return o.tokens;
  const Tokenizer* tok = s.model->text->tokenizer.get();
  if (!tok) return invalid_argument("a text prompt needs a tokenizer; the model has none");
  if (o.prompt_kind == PromptKind::kMessages) {
    auto text = apply_chat_template(*tok, o.text, o.add_generation_prompt);
    if (!text) return text.status();
    return tok->encode(text.value(), /*add_special=*/false, /*parse_special=*/true);
  }
  return tok->encode(o.text, o.tokenize_flags & MISTRALRS_TOKENIZE_ADD_SPECIAL,
                     o.tokenize_flags & MISTRALRS_TOKENIZE_PARSE_SPECIAL);
}

// Copies an event out, writing no more than event->size bytes.
void write_event(mistralrs_request* r, RequestEvent e, mistralrs_request_event* out) {
  r->held_text = std::move(e.text);
  mistralrs_request_event full{};
  full.size = out->size;
  full.type = e.type;
  full.token = e.token;
  full.finish_reason = e.finish_reason;
  full.status = e.status;
  full.text_len = static_cast<uint32_t>(r->held_text.size());
  full.text = r->held_text.c_str();
  const size_t n = std::min<size_t>(out->size, sizeof full);
  std::memcpy(out, &full, n);
}

int32_t take_event(const char* function, mistralrs_request* r, int32_t timeout_ms, mistralrs_request_event* out) {
  int32_t found = 0;
  const int32_t st = guarded(function, [&]() -> Status {
    if (!r) return null_argument("request");
    if (!out) return null_argument("event");
    if (out->size < offsetof(mistralrs_request_event, token))
      return invalid_argument("event->size is " + std::to_string(out->size) + "; set it to sizeof(mistralrs_request_event)");
    RequestEvent e;
    if (!r->state->pop(&e, timeout_ms)) return Status::ok();
    write_event(r, std::move(e), out);
    found = 1;
    return Status::ok();
  });
  return st == MISTRALRS_OK ? found : -st;
}

}  // namespace

extern "C" {

MISTRALRS_API int32_t mistralrs_request_options_create(mistralrs_request_options** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = new mistralrs_request_options();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_request_options_free(mistralrs_request_options* options) { delete options; }

MISTRALRS_API int32_t mistralrs_request_options_set_prompt_tokens(mistralrs_request_options* o,
                                                                  const int32_t* tokens, size_t n_tokens) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    if (!tokens && n_tokens > 0) return null_argument("tokens");
    o->tokens.assign(tokens, tokens + n_tokens);
    o->text.clear();
    o->prompt_kind = PromptKind::kTokens;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_request_options_set_prompt_text(mistralrs_request_options* o, const char* text,
                                                                size_t text_len, uint32_t flags) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    if (!text && text_len > 0) return null_argument("text");
    if (flags & ~(MISTRALRS_TOKENIZE_ADD_SPECIAL | MISTRALRS_TOKENIZE_PARSE_SPECIAL))
      return invalid_argument("unknown tokenize flags " + std::to_string(flags));
    o->text.assign(text ? text : "", text_len);
    o->tokenize_flags = flags;
    o->tokens.clear();
    o->prompt_kind = PromptKind::kText;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_request_options_set_messages_json(mistralrs_request_options* o,
                                                                  const char* messages_json,
                                                                  int32_t add_generation_prompt) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    if (!messages_json) return null_argument("messages_json");
    o->text.assign(messages_json);
    o->add_generation_prompt = add_generation_prompt != 0;
    o->tokenize_flags = 0;
    o->tokens.clear();
    o->prompt_kind = PromptKind::kMessages;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_request_options_set_generate_options(mistralrs_request_options* o,
                                                                     const mistralrs_generate_options* generate) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    if (!generate) return null_argument("generate");
    o->params = generate->params;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_request_options_set_callback(mistralrs_request_options* o,
                                                             mistralrs_token_callback callback, void* user_data) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    o->callback = callback;
    o->user_data = user_data;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_request_start(mistralrs_session* session, const mistralrs_request_options* options,
                                              mistralrs_request** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!session) return null_argument("session");
    if (!options) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(capi::check_idle(*session));
    auto prompt = prompt_tokens(*session, *options);
    if (!prompt) return prompt.status();
    const int64_t vocab = session->model->text->model->config().vocab_size;
    for (size_t i = 0; i < prompt.value().size(); ++i)
      if (prompt.value()[i] < 0 || prompt.value()[i] >= vocab)
        return invalid_argument("prompt token " + std::to_string(prompt.value()[i]) + " at index " +
                                std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    auto r = std::make_unique<mistralrs_request>();
    r->state = std::make_shared<RequestState>();
    bool expected = false;
    if (!session->busy.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
      return invalid_argument("the session is busy with a running request");
    // From here the session is ours; any failure before the worker runs releases it. The
    // request is the session's active one at once, so a session_cancel is never lost.
    {
      std::lock_guard<std::mutex> lock(session->active_mu);
      session->active = r->state;
    }
    auto release = [session, st = r->state] {
      st->mark_done();
      std::lock_guard<std::mutex> lock(session->active_mu);
      session->active.reset();
      session->busy.store(false, std::memory_order_release);
    };
    try {
      // Validates the request (prompt, sampler, stop strings) before anything runs.
      auto run = TextGeneration::start(*session->session, std::move(prompt.value()), options->params,
                                       token_sink(r->state, options->callback, options->user_data),
                                       &session->last_stats);
      if (!run) {
        release();
        return run.status();
      }
      r->state->start([session, st = r->state, run = std::shared_ptr<TextGeneration>(std::move(run.value()))]() mutable {
        run_request(session, st, run);
      });
    } catch (...) {
      release();
      throw;  // guarded() turns it into a status
    }
    *out = r.release();
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_request_poll(mistralrs_request* request, mistralrs_request_event* event) {
  return take_event(__func__, request, 0, event);
}

MISTRALRS_API int32_t mistralrs_request_wait(mistralrs_request* request, int32_t timeout_ms,
                                             mistralrs_request_event* event) {
  return take_event(__func__, request, timeout_ms, event);
}

MISTRALRS_API int32_t mistralrs_request_cancel(mistralrs_request* request) {
  if (!request) return capi::set_error(StatusCode::kInvalidArgument, "mistralrs_request_cancel: request is NULL");
  request->state->cancel.store(true);
  return MISTRALRS_OK;
}

MISTRALRS_API void mistralrs_request_free(mistralrs_request* request) {
  if (!request) return;
  request->state->cancel.store(true);
  try {
    request->state->join();
  } catch (...) {
    // join failed (a system error): the worker still holds the state and ends on its own.
  }
  delete request;
}

}  // extern "C"
