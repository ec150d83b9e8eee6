// The exception firewall of the C API: every exported function runs its body through
// guarded(), which turns a Status, a C++ exception or bad_alloc into a status code and
// records the message as the calling thread's last error.
#pragma once
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "core/status.h"
#include "mistralrs.h"

namespace mistralrs::capi {

// Records `message` as the thread's last error and returns `code`.
int32_t set_error(StatusCode code, const std::string& message);
int32_t set_error(const Status& status);
const char* last_error_c_str();

template <class Fn>
int32_t guarded(const char* function, Fn&& fn) noexcept {
  try {
    Status s = fn();
    if (s.is_ok()) return MISTRALRS_OK;
    return set_error(s.code(), std::string(function) + ": " + s.message());
  } catch (const std::bad_alloc&) {
    return set_error(StatusCode::kOutOfMemory, std::string(function) + ": out of memory");
  } catch (const std::exception& e) {
    return set_error(StatusCode::kInternal, std::string(function) + ": " + e.what());
  } catch (...) {
    return set_error(StatusCode::kInternal, std::string(function) + ": unknown exception");
  }
}

inline Status null_argument(const char* name) {
  return invalid_argument(std::string(name) + " is NULL");
}

}  // namespace mistralrs::capi
