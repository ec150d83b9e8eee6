// mistralrs_session_* and generation.
#include <cmath>

#include "capi/guard.h"
#include "capi/handles.h"
#include "capi/request_state.h"
#include "capi/sampler_handles.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

namespace {
Status check_count(const char* name, int32_t v) {
  if (v < 0) return invalid_argument(std::string(name) + " must be >= 0, got " + std::to_string(v));
  return Status::ok();
}
}  // namespace

extern "C" {

MISTRALRS_API int32_t mistralrs_session_options_create(mistralrs_session_options** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = new mistralrs_session_options();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_session_options_free(mistralrs_session_options* options) { delete options; }

MISTRALRS_API int32_t mistralrs_session_options_set_context_length(mistralrs_session_options* options,
                                                                   int32_t n_tokens) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(check_count("n_tokens", n_tokens));
    options->context_length = n_tokens;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_session_options_set_prefill_chunk(mistralrs_session_options* options,
                                                                  int32_t n_tokens) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(check_count("n_tokens", n_tokens));
    options->prefill_chunk = n_tokens;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_session_options_set_exact_quantized(mistralrs_session_options* options,
                                                                   int32_t exact) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    options->exact_quantized = exact != 0;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_session_create(mistralrs_model* model, const mistralrs_session_options* options,
                                               mistralrs_session** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!model) return null_argument("model");
    const mistralrs_session_options defaults;
    const mistralrs_session_options& o = options ? *options : defaults;
    auto s = TextSession::create(*model->text, model->runtime->pool.get(), o.context_length, o.prefill_chunk,
                                   o.exact_quantized != 0);
    if (!s) return s.status();
    auto h = std::make_unique<mistralrs_session>();
    h->model = model;
    h->session = std::move(s.value());
    if (h->session->on_device()) {
      std::shared_ptr<spdlog::logger> logger = model->runtime->logger;
      h->session->set_warning_sink([logger](const std::string& m) { logger->warn("{}", m); });
    }
    *out = h.release();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_session_free(mistralrs_session* session) {
  if (!session) return;
  std::shared_ptr<capi::RequestState> active;
  {
    std::lock_guard<std::mutex> lock(session->active_mu);
    active = session->active;
  }
  if (active) {
    if (active->on_worker_thread()) {
      // Freed from its own request's callback: the worker still uses the session.
      capi::set_error(StatusCode::kInvalidArgument,
                      "mistralrs_session_free: called from its running request's callback; not freed");
      return;
    }
    active->cancel.store(true);
    try {
      active->join();
    } catch (...) {
      capi::set_error(StatusCode::kInternal, "mistralrs_session_free: could not join the running request");
      return;  // leaking beats freeing a session a thread still uses
    }
  }
  delete session;
}

MISTRALRS_API int32_t mistralrs_session_cancel(mistralrs_session* session) {
  if (!session) return capi::set_error(StatusCode::kInvalidArgument, "mistralrs_session_cancel: session is NULL");
  session->cancel.store(true);
  std::lock_guard<std::mutex> lock(session->active_mu);
  if (session->active) session->active->cancel.store(true);
  return MISTRALRS_OK;
}

MISTRALRS_API int32_t mistralrs_session_reset(mistralrs_session* session) {
  return guarded(__func__, [&]() -> Status {
    if (!session) return null_argument("session");
    MISTRALRS_RETURN_IF_ERROR(capi::check_idle(*session));
    session->session->reset();
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_session_n_past(const mistralrs_session* session) {
  if (!session) return -capi::set_error(StatusCode::kInvalidArgument, "mistralrs_session_n_past: session is NULL");
  if (session->busy.load(std::memory_order_acquire))
    return -capi::set_error(StatusCode::kInvalidArgument,
                            "mistralrs_session_n_past: the session is busy with a running request");
  return static_cast<int32_t>(session->session->n_past());
}

MISTRALRS_API int32_t mistralrs_session_eval(mistralrs_session* session, const int32_t* tokens, size_t n_tokens,
                                             float* logits) {
  return guarded(__func__, [&]() -> Status {
    if (!session) return null_argument("session");
    if (!tokens) return null_argument("tokens");
    MISTRALRS_RETURN_IF_ERROR(capi::check_idle(*session));
    session->cancel.store(false);  // a cancel between calls is for no call
    return session->session->eval(tokens, n_tokens, logits, &session->cancel);
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_create(mistralrs_generate_options** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = new mistralrs_generate_options();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_generate_options_free(mistralrs_generate_options* options) { delete options; }

MISTRALRS_API int32_t mistralrs_generate_options_set_max_tokens(mistralrs_generate_options* o, int32_t v) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(check_count("max_tokens", v));
    o->params.max_tokens = v;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_set_temperature(mistralrs_generate_options* o, float v) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(check_temperature(v));
    // 0 means greedy; any other value turns the seeded draw on.
    o->params.sampling.greedy = v == 0.0f;
    o->params.sampling.temperature = v;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_set_top_k(mistralrs_generate_options* o, int32_t v) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(check_top_k(v));
    o->params.sampling.top_k = v;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_set_top_p(mistralrs_generate_options* o, float v) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    MISTRALRS_RETURN_IF_ERROR(check_probability("top_p", v));
    o->params.sampling.top_p = v;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_set_seed(mistralrs_generate_options* o, uint64_t seed) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    o->params.sampling.seed = seed;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_set_sampler(mistralrs_generate_options* o,
                                                             const mistralrs_sampler_params* params) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    if (!params) return null_argument("params");
    MISTRALRS_RETURN_IF_ERROR(validate(params->params));
    o->params.sampling = params->params;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_add_stop_string(mistralrs_generate_options* o, const char* text) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    if (!text) return null_argument("text");
    if (!*text) return invalid_argument("a stop string must not be empty");
    o->params.stop_strings.emplace_back(text);
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_generate_options_set_ignore_eos(mistralrs_generate_options* o, int32_t v) {
  return guarded(__func__, [&]() -> Status {
    if (!o) return null_argument("options");
    o->params.ignore_eos = v != 0;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_session_generate(mistralrs_session* session, const int32_t* prompt, size_t n_prompt,
                                                 const mistralrs_generate_options* options,
                                                 mistralrs_token_callback callback, void* user_data,
                                                 int32_t* finish_reason) {
  return guarded(__func__, [&]() -> Status {
    if (!session) return null_argument("session");
    if (!prompt && n_prompt > 0) return null_argument("prompt");
    MISTRALRS_RETURN_IF_ERROR(capi::check_idle(*session));
    const mistralrs_generate_options defaults;
    const GenerateParams& p = (options ? *options : defaults).params;
    TokenCallback cb;
    if (callback)
      cb = [&](int32_t token, std::string_view text) {
        return callback(token, text.data(), text.size(), user_data) == 0;
      };
    session->cancel.store(false);  // a cancel between calls is for no call
    auto r = session->session->generate(std::vector<int32_t>(prompt, prompt + n_prompt), p, cb, &session->cancel,
                                        &session->last_stats);
    if (!r) return r.status();
    if (finish_reason) *finish_reason = static_cast<int32_t>(r.value());
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_session_generation_stats(const mistralrs_session* session, int32_t* prompt_tokens,
                                                         double* prompt_seconds, int32_t* generated_tokens,
                                                         double* generate_seconds) {
  return guarded(__func__, [&]() -> Status {
    if (!session) return null_argument("session");
    MISTRALRS_RETURN_IF_ERROR(capi::check_idle(*session));
    const GenerationStats& st = session->last_stats;
    if (prompt_tokens) *prompt_tokens = static_cast<int32_t>(st.prompt_tokens);
    if (prompt_seconds) *prompt_seconds = st.prompt_seconds;
    if (generated_tokens) *generated_tokens = static_cast<int32_t>(st.generated_tokens);
    if (generate_seconds) *generate_seconds = st.generate_seconds;
    return Status::ok();
  });
}

}  // extern "C"
