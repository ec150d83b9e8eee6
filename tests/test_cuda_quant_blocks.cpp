// The block decoders of kernels/quant_blocks.cuh (compiled here by the host compiler, the
// same source the CUDA kernels use) against dequantize_row in src/core/quant.cpp: random
// blocks of every type, bit-for-bit equality of every value. Runs without a GPU.
//
// Blocks come from two sources: quantize_row on random floats (realistic scales), and raw
// random bytes with the f16 scales forced finite (every nibble, sign, scale and min
// combination the format can hold, including subnormal and negative scales).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "core/quant.h"
#include "quant_blocks.cuh"

namespace mistralrs {
namespace {

namespace q = kernels::quant;

using DequantFn = void (*)(const uint8_t*, float*);

struct TypeCase {
  DType type;
  DequantFn dequant;
  int scale_offsets[2];  // byte offsets of the f16 scales (-1: none)
};

const TypeCase kTypes[] = {
    {DType::kQ8_0, q::dequant_q8_0, {0, -1}},
    {DType::kQ4_0, q::dequant_q4_0, {0, -1}},
    {DType::kQ4_K, q::dequant_q4_k, {0, 2}},
    {DType::kQ6_K, q::dequant_q6_k, {208, -1}},
};

// f16 bits that are finite (exponent field != 31), uniformly over the rest.
uint16_t random_finite_half(std::mt19937& rng) {
  for (;;) {
    const auto h = static_cast<uint16_t>(rng());
    if (((h >> 10) & 31) != 31) return h;
  }
}

// Compares every value of n_blocks blocks at `data`; reports the first mismatch by bits.
void expect_same_values(const TypeCase& tc, const std::vector<uint8_t>& data, int64_t n_blocks,
                        const char* source) {
  const DTypeInfo& info = dtype_info(tc.type);
  const int64_t n = n_blocks * info.block_elems;
  std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
  ASSERT_TRUE(dequantize_row(tc.type, data.data(), want.data(), n));
  for (int64_t b = 0; b < n_blocks; ++b)
    tc.dequant(data.data() + b * info.block_bytes, got.data() + b * info.block_elems);
  for (int64_t i = 0; i < n; ++i) {
    uint32_t wb, gb;
    std::memcpy(&wb, &want[static_cast<size_t>(i)], 4);
    std::memcpy(&gb, &got[static_cast<size_t>(i)], 4);
    if (wb != gb) {
      ADD_FAILURE() << dtype_name(tc.type) << " (" << source << "): value " << i << " (block "
                    << i / info.block_elems << ", index " << i % info.block_elems
                    << "): quant.cpp " << want[static_cast<size_t>(i)] << " (0x" << std::hex << wb
                    << "), quant_blocks.cuh " << got[static_cast<size_t>(i)] << " (0x" << gb
                    << std::dec << ")";
      return;
    }
  }
}

TEST(CudaQuantBlocks, QuantizedRandomFloatsDecodeExactly) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const TypeCase& tc : kTypes) {
    const DTypeInfo& info = dtype_info(tc.type);
    const int64_t n_blocks = 64, n = n_blocks * info.block_elems;
    std::vector<float> src(static_cast<size_t>(n));
    // Blocks at very different magnitudes, so scales span small and large halves.
    for (int64_t i = 0; i < n; ++i)
      src[static_cast<size_t>(i)] = dist(rng) * std::ldexp(1.0f, static_cast<int>((i / info.block_elems) % 24) - 16);
    std::vector<uint8_t> data(static_cast<size_t>(n_blocks * info.block_bytes));
    ASSERT_TRUE(quantize_row(tc.type, src.data(), data.data(), n));
    expect_same_values(tc, data, n_blocks, "quantized floats");
  }
}

TEST(CudaQuantBlocks, RandomBytesDecodeExactly) {
  std::mt19937 rng(5);
  for (const TypeCase& tc : kTypes) {
    const DTypeInfo& info = dtype_info(tc.type);
    const int64_t n_blocks = 4096;
    std::vector<uint8_t> data(static_cast<size_t>(n_blocks * info.block_bytes));
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    for (int64_t b = 0; b < n_blocks; ++b) {
      for (int off : tc.scale_offsets) {
        if (off < 0) continue;
        const uint16_t h = random_finite_half(rng);
        std::memcpy(&data[static_cast<size_t>(b * info.block_bytes + off)], &h, 2);
      }
    }
    expect_same_values(tc, data, n_blocks, "random bytes");
  }
}

// Every f16 bit pattern (finite, inf and NaN) against fp16_to_fp32, and a sweep of bf16.
TEST(CudaQuantBlocks, HalfAndBf16ConversionsAreExact) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float want = fp16_to_fp32(static_cast<uint16_t>(h)), got = q::half_to_float(h);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << "half 0x" << std::hex << h;
      continue;
    }
    uint32_t wb, gb;
    std::memcpy(&wb, &want, 4);
    std::memcpy(&gb, &got, 4);
    ASSERT_EQ(wb, gb) << "half 0x" << std::hex << h;
  }
  for (uint32_t h = 0; h < 65536; h += 7) {
    const float want = bf16_to_fp32(static_cast<uint16_t>(h)), got = q::bf16_to_float(h);
    uint32_t wb, gb;
    std::memcpy(&wb, &want, 4);
    std::memcpy(&gb, &got, 4);
    ASSERT_EQ(wb, gb) << "bf16 0x" << std::hex << h;
  }
}

// The magic-number conversion equals a plain int-to-float conversion over its whole range.
TEST(CudaQuantBlocks, MagicConversionMatchesCast) {
  for (uint32_t v = 0; v < 256; ++v) {
    EXPECT_EQ(q::magic_to_float(v, q::kMagic + 128.0f), static_cast<float>(static_cast<int>(v) - 128));
    EXPECT_EQ(q::magic_to_float(v & 15, q::kMagic + 8.0f), static_cast<float>(static_cast<int>(v & 15) - 8));
    EXPECT_EQ(q::magic_to_float(v & 63, q::kMagic + 32.0f), static_cast<float>(static_cast<int>(v & 63) - 32));
  }
}

// q4_k's scale unpacking agrees with quant.cpp's for every sub-block of random packings.
TEST(CudaQuantBlocks, Q4KScaleUnpackingMatches) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    uint8_t packed[kKScaleBytes], sc[8], m[8];
    for (uint8_t& b : packed) b = static_cast<uint8_t>(rng());
    q4_k_unpack_scales(packed, sc, m);
    for (int s = 0; s < 8; ++s) {
      uint32_t gsc, gm;
      q::q4_k_scale_min(packed, s, &gsc, &gm);
      ASSERT_EQ(gsc, sc[s]) << "trial " << trial << " sub-block " << s;
      ASSERT_EQ(gm, m[s]) << "trial " << trial << " sub-block " << s;
    }
  }
}

// The decode matmul's shared-memory staging (matmul_decode.cu: chunks of 1024 values of
// each weight row, copied as 16-byte pieces or guarded 2-byte words), replayed on host
// memory with the same helpers: for tensors at every 2-byte offset mod 16, padded and
// unpadded rows and every format, each chunk's bytes must arrive intact at offset
// (address mod 16) of a buffer of stage_buffer_bytes, and no copy may touch a byte outside
// the tensor.
TEST(CudaQuantBlocks, DecodeStagingCopiesEveryChunkInBounds) {
  struct Fmt {
    int64_t elems, bytes;
  };
  const Fmt fmts[] = {{1, 4}, {1, 2}, {32, 34}, {32, 18}, {256, 144}, {256, 210}};
  constexpr int64_t kChunk = 1024;
  std::mt19937 rng(9);
  for (const Fmt& f : fmts) {
    const int64_t chunk_bytes = kChunk / f.elems * f.bytes;
    const int64_t buf_bytes = q::stage_buffer_bytes(chunk_bytes);
    for (int64_t k : {f.elems == 1 ? int64_t{3} : f.elems, f.elems * 3, int64_t{4096}, int64_t{3072 + 256}}) {
      if (k % f.elems != 0) continue;
      for (int64_t pad_blocks : {0, 1}) {
        for (int64_t base = 0; base < 16; base += f.bytes % 4 == 0 ? 4 : 2) {
          const int64_t n = 5, row_bytes = (k / f.elems + pad_blocks) * f.bytes;
          const int64_t data_bytes = k / f.elems * f.bytes, total = (n - 1) * row_bytes + data_bytes;
          std::vector<uint8_t> mem(static_cast<size_t>(total + 64));
          for (uint8_t& b : mem) b = static_cast<uint8_t>(rng());
          const uintptr_t lo = reinterpret_cast<uintptr_t>(mem.data()) + 16 + static_cast<uintptr_t>(base);
          const uintptr_t hi = lo + static_cast<uintptr_t>(total);
          for (int64_t r = 0; r < n; ++r) {
            for (int64_t v0 = 0; v0 < k; v0 += kChunk) {
              const int64_t v1 = std::min(k, v0 + kChunk);
              const uintptr_t s0 = lo + static_cast<uintptr_t>(r * row_bytes + v0 / f.elems * f.bytes);
              const uintptr_t s1 = lo + static_cast<uintptr_t>(r * row_bytes + v1 / f.elems * f.bytes);
              const uintptr_t a0 = s0 & ~uintptr_t{15};
              std::vector<uint8_t> buf(static_cast<size_t>(buf_bytes), 0xEE);
              const int pieces = q::stage_pieces(s0, s1);
              ASSERT_LE(pieces * 16, buf_bytes) << "chunk does not fit its stage buffer";
              for (int p = 0; p < pieces; ++p) {
                const uintptr_t src = a0 + 16 * static_cast<uintptr_t>(p);
                if (q::piece_inside(src, lo, hi)) {
                  ASSERT_TRUE(src >= lo && src + 16 <= hi) << "16-byte piece outside the tensor";
                  std::memcpy(&buf[static_cast<size_t>(16 * p)], reinterpret_cast<const void*>(src), 16);
                  continue;
                }
                for (int b = 0; b < 16; b += 2)
                  if (q::word_inside(src + b, lo, hi)) {
                    ASSERT_TRUE(src + b >= lo && src + b + 2 <= hi) << "2-byte word outside the tensor";
                    std::memcpy(&buf[static_cast<size_t>(16 * p + b)], reinterpret_cast<const void*>(src + b), 2);
                  }
              }
              const size_t off = s0 & 15;
              ASSERT_EQ(0, std::memcmp(&buf[off], reinterpret_cast<const void*>(s0), s1 - s0))
                  << "format " << f.elems << "/" << f.bytes << " k " << k << " base " << base << " row " << r
                  << " chunk at " << v0;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace mistralrs
