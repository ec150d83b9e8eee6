// The device a model runs on, as the runtime and model options name it: "cpu", "cuda"
// (= cuda:0) or "cuda:N".
#pragma once
#include <string_view>

#include "core/device.h"
#include "core/status.h"

namespace mistralrs {

// Syntax only: invalid-argument for anything but the three forms above (N decimal, no
// sign, no spaces, below 2^16).
Expected<Device> parse_device(std::string_view text);

// Whether this build and machine can run on `device`: ok for the CPU; for cuda:N,
// unsupported when the library was built without CUDA or the machine has no CUDA device,
// invalid-argument when N is not below the device count, a CUDA error when the query fails.
Status check_device_usable(const Device& device);

}  // namespace mistralrs
