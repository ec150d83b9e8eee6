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
