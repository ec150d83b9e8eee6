// Shared by the fuzz targets: the input viewed as Storage, and reading tensor bytes so
// that ASan sees any view that points outside the input.
#pragma once
#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "formats/weight_source.h"

namespace mistralrs::fuzz {

// libFuzzer's own buffer, exactly `size` bytes long, so ASan flags a read one past the
// end (a copy into AlignedStorage would be rounded up to 64 bytes and hide it). Valid only
// during LLVMFuzzerTestOneInput.
class InputStorage final : public Storage {
 public:
  InputStorage(const uint8_t* data, size_t size) : data_(const_cast<uint8_t*>(data)), size_(size) {}
  void* data() override { return data_; }
  size_t size() const override { return size_; }
  Device device() const override { return Device::cpu(); }

 private:
  uint8_t* data_;
  size_t size_;
};

// Every tensor: it must lie inside the input; its first and last byte are read.
inline void touch_all(const WeightSource& w, Storage& storage) {
  const auto* base = static_cast<const uint8_t*>(storage.data());
  for (const std::string& name : w.names()) {
    auto t = w.tensor(name);
    if (!t) continue;
    const size_t n = t.value().nbytes();
    if (n == 0) continue;
    const auto* p = t.value().as<const uint8_t>();
    if (p < base || n > storage.size() || p - base > static_cast<ptrdiff_t>(storage.size() - n))
      __builtin_trap();
    volatile uint8_t sink = p[0];
    sink = p[n - 1];
    (void)sink;
  }
}

}  // namespace mistralrs::fuzz
