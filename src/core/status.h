// Status and Expected<T>: how every fallible call inside the library reports failure.
// The C API turns a Status into an int32_t code plus the thread's last-error message.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace mistralrs {

// Numbers match the MISTRALRS_* status constants in include/mistralrs.h; never renumber.
enum class StatusCode : int32_t {
  kOk = 0,
  kInvalidArgument = 1,
  kOutOfMemory = 2,
  kIo = 3,
  kUnsupported = 4,
  kBufferTooSmall = 5,
  kCancelled = 6,
  kCuda = 7,
  kInternal = 8,
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIo, std::move(m)}; }
inline Status out_of_memory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status cuda_error(std::string m) { return {StatusCode::kCuda, std::move(m)}; }

// A value or a failed Status. Accessing value() of a failed Expected is a programming error.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Status status) : v_(std::move(status)) {}  // NOLINT
  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& value() const& { return std::get<T>(v_); }
  Status status() const { return is_ok() ? Status() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace mistralrs

#define MISTRALRS_RETURN_IF_ERROR(expr)                  \
  do {                                                   \
    ::mistralrs::Status mistralrs_status_tmp_ = (expr);  \
    if (!mistralrs_status_tmp_.is_ok()) return mistralrs_status_tmp_; \
  } while (0)
