// The structs behind the opaque C handles.
#pragma once
#include <memory>

#include <spdlog/logger.h>

#include "core/log.h"
#include "core/thread_pool.h"
#include "mistralrs.h"

struct mistralrs_runtime_options {
  int32_t n_threads = 0;
  mistralrs::LogCallback log_callback = nullptr;
  void* log_user_data = nullptr;
  int32_t log_min_level = MISTRALRS_LOG_INFO;
};

// Thread-safe: the pool serialises parallel_for calls; the logger's sink has its own lock.
struct mistralrs_runtime {
  std::unique_ptr<mistralrs::ThreadPool> pool;
  std::shared_ptr<spdlog::logger> logger;
};

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/text_model.h"
#include "pipeline/text_session.h"

struct mistralrs_model_options {
  int64_t kv_budget_bytes = 0;  // 0 = unlimited
  int32_t prefix_cache = 0;
  mistralrs::Device device;     // checked when set; default cpu
};

// A tokenizer handle: owned (loaded on its own) or borrowed from a model.
struct mistralrs_tokenizer {
  const mistralrs::Tokenizer* impl = nullptr;
  std::unique_ptr<mistralrs::Tokenizer> owned;
};

// Immutable after load. Borrows its runtime.
struct mistralrs_model {
  mistralrs_runtime* runtime = nullptr;
  std::unique_ptr<mistralrs::TextModel> text;
  mistralrs_tokenizer tokenizer_handle;  // impl points into text; null without a tokenizer
};

namespace mistralrs::capi {
// The loader's cache settings from model options (NULL: defaults).
CacheOptions cache_options(const mistralrs_model_options* options);
// The device from model options (NULL: the CPU).
Device model_device(const mistralrs_model_options* options);
// Wraps a loaded model in a handle (logging the load or its failure) and stores it in *out.
Status make_model(mistralrs_runtime* runtime, Expected<std::unique_ptr<TextModel>> loaded,
                  const std::string& origin, mistralrs_model** out);
}  // namespace mistralrs::capi

struct mistralrs_session_options {
  int32_t context_length = 0;
  int32_t prefill_chunk = 0;
  int32_t exact_quantized = 0;
};

namespace mistralrs::capi {
class RequestState;
}

struct mistralrs_session {
  mistralrs_model* model = nullptr;
  std::unique_ptr<mistralrs::TextSession> session;
  mistralrs::GenerationStats last_stats;
  // Set by mistralrs_session_cancel from any thread; read between layers and tokens by the
  // call in progress; cleared when each eval / generate call starts.
  std::atomic<bool> cancel{false};
  // True from mistralrs_request_start until the request's worker is done with the session
  // (release store by the worker, so its writes to `session` and `last_stats` are visible
  // to whoever then reads busy == false).
  std::atomic<bool> busy{false};
  // The running request, for session_cancel and session_free; guarded by active_mu, which
  // is never held while a callback runs or a thread is joined.
  std::mutex active_mu;
  std::shared_ptr<mistralrs::capi::RequestState> active;
};

namespace mistralrs::capi {
// invalid-argument while a request runs on the session.
Status check_idle(const mistralrs_session& session);
}  // namespace mistralrs::capi

struct mistralrs_generate_options {
  mistralrs::GenerateParams params;
};
