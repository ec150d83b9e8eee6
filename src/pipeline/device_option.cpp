#include "pipeline/device_option.h"

#include <string>

#ifdef MISTRALRS_HAS_CUDA
#include "cuda_memory.h"
#endif

namespace mistralrs {

Expected<Device> parse_device(std::string_view text) {
  const auto bad = [&]() {
    return invalid_argument("device '" + std::string(text) + "': expected \"cpu\", \"cuda\" or \"cuda:N\"");
  };
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  constexpr std::string_view kPrefix = "cuda:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return bad();
  const std::string_view digits = text.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 5) return bad();
  int n = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return bad();
    n = n * 10 + (ch - '0');
  }
  if (n > 65535) return bad();
  return Device::cuda(n);
}

Status check_device_usable(const Device& device) {
  if (device.is_cpu()) return Status::ok();
#ifdef MISTRALRS_HAS_CUDA
  int count = 0;
  const int err = kernels::cuda_device_count(&count);
  if (err != 0) return cuda_error(std::string("querying CUDA devices: ") + kernels::cuda_error_string(err));
  if (count == 0) return unsupported("device " + device.to_string() + ": this machine has no CUDA device");
  if (device.index < 0 || device.index >= count)
    return invalid_argument("device " + device.to_string() + ": this machine has " + std::to_string(count) +
                            " CUDA device" + (count == 1 ? "" : "s") + " (cuda:0 to cuda:" +
                            std::to_string(count - 1) + ")");
  return Status::ok();
#else
  return unsupported("device " + device.to_string() + ": this build of libmistralrs has no CUDA support");
#endif
}

}  // namespace mistralrs
