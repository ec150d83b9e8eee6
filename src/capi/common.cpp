// Version, status strings, last error and string ownership.
#include <cstdlib>
#include <string>

#include "capi/guard.h"

namespace mistralrs::capi {

namespace {
thread_local std::string t_last_error;
}

int32_t set_error(StatusCode code, const std::string& message) {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();
  }
  return static_cast<int32_t>(code);
}

int32_t set_error(const Status& status) { return set_error(status.code(), status.message()); }

const char* last_error_c_str() { return t_last_error.c_str(); }

}  // namespace mistralrs::capi

using namespace mistralrs;

extern "C" {

MISTRALRS_API const char* mistralrs_version(void) { return MISTRALRS_VERSION_STRING; }

MISTRALRS_API void mistralrs_version_numbers(int32_t* major, int32_t* minor, int32_t* patch) {
  if (major) *major = MISTRALRS_API_VERSION_MAJOR;
  if (minor) *minor = MISTRALRS_API_VERSION_MINOR;
  if (patch) *patch = MISTRALRS_API_VERSION_PATCH;
}

MISTRALRS_API const char* mistralrs_status_string(int32_t status) {
  if (status < 0 || status > static_cast<int32_t>(StatusCode::kInternal)) return "unknown status";
  return status_code_name(static_cast<StatusCode>(status));
}

MISTRALRS_API const char* mistralrs_last_error(void) { return capi::last_error_c_str(); }

MISTRALRS_API void mistralrs_string_free(char* s) { std::free(s); }

}  // extern "C"
