// libFuzzer target: GgufFile::parse on arbitrary bytes, then every accessor on the result.
#include "formats/gguf.h"
#include "formats/model_config.h"
#include "fuzz_common.h"

using namespace mistralrs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto storage = std::make_shared<fuzz::InputStorage>(data, size);
  auto f = GgufFile::parse(storage, "fuzz.gguf");
  if (!f) {
    if (f.status().message().empty()) __builtin_trap();  // every error says what went wrong
    return 0;
  }
  const GgufFile& g = *f.value();
  fuzz::touch_all(g, *storage);
  for (const auto& [key, value] : g.metadata()) {
    (void)g.get_int(key);
    (void)g.get_float(key);
    (void)g.get_string(key);
    (void)g.get_bool(key);
    (void)g.get_string_array(key);
    (void)g.get_float_array(key);
    (void)g.get_int_array(key);
  }
  (void)model_config_from_gguf(g);
  return 0;
}
