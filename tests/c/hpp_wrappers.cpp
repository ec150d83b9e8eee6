// Compiled as C++11 and run: the RAII aliases of mistralrs.hpp free their handles, and
// check() throws with the status and the last-error message.
#include <cstdio>
#include <cstring>

#include "mistralrs.hpp"

int main() {
  mistralrs_runtime* raw = nullptr;
  mistralrs_cpp::check(mistralrs_runtime_create(nullptr, &raw));
  mistralrs_cpp::runtime_ptr rt(raw);
  mistralrs_cpp::sampler_params_ptr sp(mistralrs_sampler_params_create());
  if (!rt || !sp) return 1;
  mistralrs_request_options* raw_ro = nullptr;
  mistralrs_cpp::check(mistralrs_request_options_create(&raw_ro));
  mistralrs_cpp::request_options_ptr ro(raw_ro);
  mistralrs_cpp::request_ptr no_request;  // an empty pointer: the deleter is not called
  if (!ro || no_request) return 1;
  char* raw_text = nullptr;
  mistralrs_cpp::check(mistralrs_chat_template_render("{{ a ~ b }}", "{\"a\": \"x\", \"b\": 1}", 0, &raw_text));
  mistralrs_cpp::string_ptr text(raw_text);
  if (std::strcmp(text.get(), "x1") != 0) {
    std::printf("rendered '%s', expected 'x1'\n", text.get());
    return 1;
  }
  try {
    mistralrs_cpp::check(mistralrs_session_reset(nullptr));
    std::puts("check() did not throw");
    return 1;
  } catch (const mistralrs_cpp::error& e) {
    if (e.status() != MISTRALRS_ERR_INVALID_ARGUMENT || std::strstr(e.what(), "session is NULL") == nullptr) {
      std::printf("unexpected error %d: %s\n", static_cast<int>(e.status()), e.what());
      return 1;
    }
  }
  std::puts("1 passed, 0 failed");
  return 0;
}
