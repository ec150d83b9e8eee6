// libFuzzer target: parse_hf_config on arbitrary text; a parsed config must validate.
#include <string>

#include "formats/model_config.h"

using namespace mistralrs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = parse_hf_config(text, "config.json");
  if (!c) {
    if (c.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (!c.value().validate("config.json").is_ok()) __builtin_trap();  // parse validates already
  return 0;
}
