#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/log.h"

namespace mistralrs {
namespace {

struct Captured {
  std::vector<std::pair<int32_t, std::string>> lines;
};

void capture(int32_t level, const char* msg, void* user) {
  static_cast<Captured*>(user)->lines.emplace_back(level, msg);
}

TEST(Log, ForwardsToCallbackWithUserDataAndLevel) {
  Captured a, b;
  auto la = make_callback_logger("a", capture, &a, 1);
  auto lb = make_callback_logger("b", capture, &b, 3);
  la->info("hello {}", 42);
  la->trace("dropped below min level");
  lb->info("dropped below warn");
  lb->error("bad {}", "thing");
  ASSERT_EQ(a.lines.size(), 1u);
  EXPECT_EQ(a.lines[0].first, 2);
  EXPECT_EQ(a.lines[0].second, "hello 42");
  ASSERT_EQ(b.lines.size(), 1u);  // two runtimes' sinks never mix
  EXPECT_EQ(b.lines[0].first, 4);
  EXPECT_EQ(b.lines[0].second, "bad thing");
}

TEST(Log, NullCallbackDropsEverything) {
  auto l = make_callback_logger("null", nullptr, nullptr, 0);
  l->error("nobody hears this");
  SUCCEED();
}

}  // namespace
}  // namespace mistralrs
