#include "core/status.h"

namespace mistralrs {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kOutOfMemory: return "out of memory";
    case StatusCode::kIo: return "I/O error";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kBufferTooSmall: return "buffer too small";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kCuda: return "CUDA error";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown status";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

}  // namespace mistralrs
