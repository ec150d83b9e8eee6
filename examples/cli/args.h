// Tiny argument parsing shared by the CLI commands.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mistralrs_cli {

// Parses an integer or float option value; prints a message and returns false on error.
inline bool parse_long(const char* opt, const char* v, long min, long max, long* out) {
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (!*v || *end || x < min || x > max) {
    std::fprintf(stderr, "mistralrs: %s needs an integer in [%ld, %ld], got '%s'\n", opt, min, max, v);
    return false;
  }
  *out = x;
  return true;
}

inline bool parse_float(const char* opt, const char* v, float* out) {
  char* end = nullptr;
  const float x = std::strtof(v, &end);
  if (!*v || *end) {
    std::fprintf(stderr, "mistralrs: %s needs a number, got '%s'\n", opt, v);
    return false;
  }
  *out = x;
  return true;
}

}  // namespace mistralrs_cli
