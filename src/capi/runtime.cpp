// mistralrs_runtime and its options.
#include <memory>

#include "capi/guard.h"
#include "capi/handles.h"
#include "core/log.h"

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

extern "C" {

MISTRALRS_API int32_t mistralrs_runtime_options_create(mistralrs_runtime_options** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = new mistralrs_runtime_options();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_runtime_options_free(mistralrs_runtime_options* options) {
  delete options;
}

MISTRALRS_API int32_t mistralrs_runtime_options_set_threads(mistralrs_runtime_options* options,
                                                            int32_t n_threads) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    if (n_threads < 0 || n_threads > 4096)
      return invalid_argument("n_threads must be in [0, 4096], got " + std::to_string(n_threads));
    options->n_threads = n_threads;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_runtime_options_set_log_callback(
    mistralrs_runtime_options* options, mistralrs_log_callback callback, void* user_data,
    int32_t min_level) {
  return guarded(__func__, [&]() -> Status {
    if (!options) return null_argument("options");
    if (min_level < MISTRALRS_LOG_TRACE || min_level > MISTRALRS_LOG_ERROR)
      return invalid_argument("min_level must be in [0, 4], got " + std::to_string(min_level));
    options->log_callback = callback;
    options->log_user_data = user_data;
    options->log_min_level = min_level;
    return Status::ok();
  });
}

MISTRALRS_API int32_t mistralrs_runtime_create(const mistralrs_runtime_options* options,
                                               mistralrs_runtime** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    const mistralrs_runtime_options defaults;
    const mistralrs_runtime_options& o = options ? *options : defaults;
    auto rt = std::make_unique<mistralrs_runtime>();
    rt->pool = std::make_unique<ThreadPool>(o.n_threads);
    rt->logger = make_callback_logger("mistralrs", o.log_callback, o.log_user_data, o.log_min_level);
    rt->logger->info("libmistralrs {} runtime created with {} CPU threads", MISTRALRS_VERSION_STRING,
                     rt->pool->size());
    *out = rt.release();
    return Status::ok();
  });
}

MISTRALRS_API void mistralrs_runtime_free(mistralrs_runtime* runtime) { delete runtime; }

MISTRALRS_API int32_t mistralrs_runtime_threads(const mistralrs_runtime* runtime) {
  if (!runtime) return -capi::set_error(StatusCode::kInvalidArgument, "mistralrs_runtime_threads: runtime is NULL");
  return runtime->pool->size();
}

MISTRALRS_API int32_t mistralrs_runtime_cuda_devices(const mistralrs_runtime* runtime) {
  if (!runtime) return 0;
#ifdef MISTRALRS_HAS_CUDA
  int n = 0;
  if (kernels::cuda_device_count(&n) != 0) return 0;
  return n;
#else
  return 0;
#endif
}

}  // extern "C"
