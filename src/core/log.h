// Per-runtime logging: an spdlog logger whose sink forwards each formatted message to the
// C callback the runtime was created with. No global logger is registered or used.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace mistralrs {

// Levels as in the C header: 0 trace, 1 debug, 2 info, 3 warn, 4 error.
using LogCallback = void (*)(int32_t level, const char* message, void* user_data);

// Returns a logger (not registered in spdlog's registry) that calls `cb` with `user_data`.
// With a null callback the logger drops everything. `min_level` as above.
std::shared_ptr<spdlog::logger> make_callback_logger(const std::string& name, LogCallback cb,
                                                     void* user_data, int32_t min_level);

}  // namespace mistralrs
