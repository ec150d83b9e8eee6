#include "core/log.h"

#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>

namespace mistralrs {

namespace {

int32_t to_c_level(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return 0;
    case spdlog::level::debug: return 1;
    case spdlog::level::info: return 2;
    case spdlog::level::warn: return 3;
    default: return 4;
  }
}

// base_sink<std::mutex> serialises calls, so the callback never runs concurrently with
// itself for one runtime; it holds only this sink's own mutex, no library lock.
class CallbackSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  CallbackSink(LogCallback cb, void* user) : cb_(cb), user_(user) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text(msg.payload.data(), msg.payload.size());
    try {
      cb_(to_c_level(msg.level), text.c_str(), user_);
    } catch (...) {
      // A C callback cannot throw; a C++ one that does must not unwind into us.
    }
  }
  void flush_() override {}

 private:
  LogCallback cb_;
  void* user_;
};

}  // namespace

std::shared_ptr<spdlog::logger> make_callback_logger(const std::string& name, LogCallback cb,
                                                     void* user_data, int32_t min_level) {
  spdlog::sink_ptr sink;
  if (cb) sink = std::make_shared<CallbackSink>(cb, user_data);
  else sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  if (min_level < 0) min_level = 0;
  if (min_level > 4) min_level = 4;
  static constexpr spdlog::level::level_enum kLevels[] = {
      spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
      spdlog::level::err};
  logger->set_level(kLevels[min_level]);
  return logger;
}

}  // namespace mistralrs
