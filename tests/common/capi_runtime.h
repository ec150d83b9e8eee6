// A runtime made through the public C API, for the C++ tests of the C API.
#pragma once
#include <cstdint>

#include "mistralrs.h"

namespace mistralrs::testing {

// *out: a runtime with `threads` worker threads; returns the status of the first failing call.
inline int32_t create_runtime(int32_t threads, mistralrs_runtime** out) {
  mistralrs_runtime_options* o = nullptr;
  int32_t st = mistralrs_runtime_options_create(&o);
  if (st == MISTRALRS_OK) st = mistralrs_runtime_options_set_threads(o, threads);
  if (st == MISTRALRS_OK) st = mistralrs_runtime_create(o, out);
  mistralrs_runtime_options_free(o);
  return st;
}

}  // namespace mistralrs::testing
