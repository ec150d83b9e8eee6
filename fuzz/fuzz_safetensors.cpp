// libFuzzer target: SafetensorsFile::parse on arbitrary bytes, then every tensor.
#include "formats/safetensors.h"
#include "fuzz_common.h"

using namespace mistralrs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto storage = std::make_shared<fuzz::InputStorage>(data, size);
  auto f = SafetensorsFile::parse(storage, "fuzz.safetensors");
  if (!f) {
    if (f.status().message().empty()) __builtin_trap();
    return 0;
  }
  fuzz::touch_all(*f.value(), *storage);
  for (const auto& [key, value] : f.value()->metadata()) (void)(key.size() + value.size());
  return 0;
}
