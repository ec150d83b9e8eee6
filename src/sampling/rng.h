// The seeded generator behind every random draw: xoshiro256** (Blackman & Vigna), seeded by
// expanding the 64-bit seed with SplitMix64. Pure integer arithmetic, so a seed gives the
// same stream on every platform, compiler and thread count.
#pragma once
#include <cstdint>

namespace mistralrs {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t next_u64();
  // Uniform in [0, 1) with 24 random bits (exactly representable as float).
  float next_float() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }

 private:
  uint64_t s_[4];
};

}  // namespace mistralrs
