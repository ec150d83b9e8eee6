#include <gtest/gtest.h>

#include "sampling/rng.h"

namespace mistralrs {
namespace {

// xoshiro256** seeded through SplitMix64: expected values computed with an independent
// Python transcription of the two published algorithms (SplitMix64 from state 0 gives
// 0xe220a8397b1dcdaf first, the published test value), so a seed means the same stream on
// every platform.
TEST(Rng, StreamIsPinned) {
  Rng a(42);
  EXPECT_EQ(a.next_u64(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(a.next_u64(), 0x6104d9866d113a7eull);
  EXPECT_EQ(a.next_u64(), 0xae17533239e499a1ull);
  Rng r(0);
  for (int i = 0; i < 1000; ++i) {
    const float f = r.next_float();
    ASSERT_GE(f, 0.0f);
    ASSERT_LT(f, 1.0f);
  }
}

}  // namespace
}  // namespace mistralrs
