// mistralrs.hpp: RAII ownership for the C handles of mistralrs.h (C++11 and later).
// Only unique_ptr aliases with deleters that call the matching *_free function, plus a
// helper that turns a status into an exception for callers who want one. The C API
// itself never throws; this header adds no state and no ABI of its own.
#ifndef MISTRALRS_HPP
#define MISTRALRS_HPP

#include <memory>
#include <stdexcept>
#include <string>

#include "mistralrs.h"

namespace mistralrs_cpp {

#define MISTRALRS_HPP_DELETER(name)                                   \
  struct name##_deleter {                                             \
    void operator()(mistralrs_##name* p) const { mistralrs_##name##_free(p); } \
  };                                                                  \
  using name##_ptr = std::unique_ptr<mistralrs_##name, name##_deleter>;

MISTRALRS_HPP_DELETER(runtime_options)
MISTRALRS_HPP_DELETER(runtime)
MISTRALRS_HPP_DELETER(model_options)
MISTRALRS_HPP_DELETER(model)
MISTRALRS_HPP_DELETER(session_options)
MISTRALRS_HPP_DELETER(session)
MISTRALRS_HPP_DELETER(generate_options)
MISTRALRS_HPP_DELETER(sampler_params)
MISTRALRS_HPP_DELETER(sampler)
MISTRALRS_HPP_DELETER(request_options)
MISTRALRS_HPP_DELETER(request)  // the deleter cancels a running request and joins it
MISTRALRS_HPP_DELETER(tokenizer)  // for mistralrs_tokenizer_load; never the model's borrowed one

// Strings the library returns through char** (mistralrs_chat_template_render, ...).
struct string_deleter {
  void operator()(char* p) const { mistralrs_string_free(p); }
};
using string_ptr = std::unique_ptr<char, string_deleter>;

#undef MISTRALRS_HPP_DELETER

// Thrown by check(): the status and the calling thread's last-error message.
class error : public std::runtime_error {
 public:
  error(int32_t status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int32_t status() const { return status_; }

 private:
  int32_t status_;
};

// Returns normally for MISTRALRS_OK, else throws mistralrs_cpp::error.
inline void check(int32_t status) {
  if (status != MISTRALRS_OK) throw error(status, mistralrs_last_error());
}

}  // namespace mistralrs_cpp

#endif  // MISTRALRS_HPP
