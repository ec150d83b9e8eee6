// kernels::attention_prefill against ref::attention (f32, double accumulation) fed with the
// same f16/bf16 inputs widened to f32: head dims 64/128/256, both types, f32 and 16-bit
// output, grouped heads 32/8, 4/4, 8/1, query rows 1..1000 at position 0 and on a cache
// (chunked prefill, keys up to 4200), sliding windows at tile edges, paged K/V with a
// shuffled block table (block sizes 7, 16, 32), the key count read from device memory, and
// strided q/out. Unused cache rows, pool blocks and q padding hold NaN so a stray read shows;
// output padding holds a sentinel that must survive. Skipped without a device, except the
// argument checks, which return before any CUDA call.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#ifdef MISTRALRS_HAS_CUDA
#include <cuda_runtime_api.h>

#include "attention.h"
#include "common/op_test_util.h"
#include "core/dtype.h"
#include "common/cuda_test_util.h"
#include "cuda_memory.h"
#include "ops/cpu/reference.h"

namespace mistralrs {
namespace {

using kernels::AttnArgs;
using kernels::AttnType;

// Device memory freed on scope exit.
struct DevBuf {
  void* ptr = nullptr;
  DevBuf() = default;
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  ~DevBuf() {
    if (ptr != nullptr) kernels::cuda_free(ptr);
  }
  int upload(const void* src, size_t bytes) {
    const int err = kernels::cuda_malloc(&ptr, bytes, 0);
    return err != 0 ? err : kernels::cuda_memcpy_h2d(ptr, src, bytes);
  }
};

struct Case {
  const char* name;
  AttnType type;
  int head_dim;
  int64_t n_q, q_position;  // q_position: the queries' true position (also with device_n_kv)
  int n_heads, n_kv_heads;
  int64_t window = 0;
  int64_t block_size = 0;  // 0 = contiguous cache
  bool out_f32 = true;
  bool device_n_kv = false;  // n_kv from device memory; kv.n_kv = n_kv + 37 as the bound
  int64_t n_kv = -1;         // -1 = q_position + n_q
  int64_t pad = 0;           // extra elements after each q and out row
  float scale = 0.0f;
};

// gtest prints a failing parameter by its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

constexpr AttnType kF16 = AttnType::kF16, kBF16 = AttnType::kBF16;
// {name, type, hd, n_q, q_position, heads, kv heads, window, block, out_f32, device, n_kv, pad, scale}
const Case kCases[] = {
    {"hd64_bf16_1row", kBF16, 64, 1, 0, 32, 8},
    {"hd64_f16_1row_on_4100", kF16, 64, 1, 4100, 32, 8, 0, 0, false},
    {"hd128_f16_15rows_mha", kF16, 128, 15, 0, 4, 4},
    {"hd128_bf16_64rows_gqa_outbf16", kBF16, 128, 64, 0, 32, 8, 0, 0, false},
    {"hd256_bf16_65rows_mqa", kBF16, 256, 65, 0, 8, 1},
    {"hd256_f16_130rows_at300_outf16", kF16, 256, 130, 300, 4, 4, 0, 0, false},
    {"hd128_bf16_130rows_at4000_outbf16", kBF16, 128, 130, 4000, 8, 2, 0, 0, false},
    {"hd64_f16_1000rows_mqa_outf16", kF16, 64, 1000, 0, 8, 1, 0, 0, false},
    {"hd128_bf16_1000rows_gqa", kBF16, 128, 1000, 0, 32, 8},
    {"hd256_bf16_1000rows_at100", kBF16, 256, 1000, 100, 4, 4},
    {"hd128_f16_300rows_at3900_gqa", kF16, 128, 300, 3900, 8, 4},
    {"window1", kBF16, 128, 130, 70, 8, 2, 1},
    {"window64_tile_hd64", kF16, 64, 200, 100, 4, 1, 64},
    {"window128_rows_hd128", kBF16, 128, 200, 0, 4, 4, 128},
    {"window32_tile_hd256", kF16, 256, 130, 50, 8, 2, 32},
    {"window_past_n_kv", kBF16, 128, 65, 100, 32, 8, 5000},
    {"paged16_hd128_outbf16", kBF16, 128, 130, 500, 32, 8, 0, 16, false},
    {"paged32_hd256", kF16, 256, 65, 1000, 8, 1, 0, 32},
    {"paged7_window40", kBF16, 128, 90, 45, 4, 2, 40, 7},
    {"paged16_device_n_kv_hd64", kBF16, 64, 100, 300, 8, 2, 0, 16, true, true},
    {"paged16_device_n_kv_hd256_f16", kF16, 256, 33, 64, 4, 2, 0, 16, true, true},
    {"device_n_kv_hd128_outf16", kF16, 128, 64, 200, 32, 8, 0, 0, false, true},
    {"device_n_kv_below_n_q", kBF16, 64, 40, -15, 4, 2, 0, 0, true, true, 25},
    {"no_keys", kBF16, 64, 10, 0, 4, 2, 0, 0, true, false, 0},
    {"keys_past_the_queries", kF16, 64, 50, 10, 4, 2, 0, 0, true, false, 200},
    {"strided_q_and_out_hd64", kBF16, 64, 33, 5, 4, 2, 0, 0, false, false, -1, 24},
    {"strided_hd256_f16", kF16, 256, 20, 40, 2, 1, 0, 0, true, false, -1, 8},
    {"sharp_scale1_hd128", kBF16, 128, 130, 0, 8, 8, 0, 0, true, false, -1, 0, 1.0f},
    {"sharp_scale1_hd64_f16", kF16, 64, 150, 20, 4, 2, 0, 0, true, false, -1, 0, 1.0f},
};

// 16-bit storage of one type; to_f32 gives the exact value the reference sees.
uint16_t to_16(AttnType t, float x) { return t == kF16 ? fp32_to_fp16(x) : fp32_to_bf16(x); }
float to_f32(AttnType t, uint16_t x) { return t == kF16 ? fp16_to_fp32(x) : bf16_to_fp32(x); }
uint16_t nan_16(AttnType t) { return t == kF16 ? 0x7e00 : 0x7fc0; }

// Unit roundoff of the 16-bit type: bf16 keeps 8 significant bits (2^-9), f16 11 (2^-11).
double unit_roundoff(AttnType t) { return t == kF16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -9); }

// ref::attention per kv head on its own thread (views of the head slices; same math).
void run_reference(const TensorView& q, const TensorView& k, const TensorView& v, const AttentionParams& params,
                   const TensorView& out, int n_heads, int n_kv_heads) {
  const int group = n_heads / n_kv_heads;
  std::vector<std::thread> threads;
  for (int g = 0; g < n_kv_heads; ++g) {
    threads.emplace_back([&, g] {
      const TensorView qs = q.slice(1, g * group, (g + 1) * group).value();
      const TensorView os = out.slice(1, g * group, (g + 1) * group).value();
      const TensorView ks = k.slice(1, g, g + 1).value(), vs = v.slice(1, g, g + 1).value();
      (void)ref::attention(qs, ks, vs, params, os);
    });
  }
  for (std::thread& t : threads) t.join();
}

class CudaAttentionPrefill : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    MISTRALRS_SKIP_WITHOUT_CUDA("the CUDA prefill attention tests");
  }
};

TEST_P(CudaAttentionPrefill, MatchesReference) {
  const Case& c = GetParam();
  const AttnType t = c.type;
  const int64_t d = c.head_dim, nh = c.n_heads, nkh = c.n_kv_heads;
  const int64_t n_kv = c.n_kv >= 0 ? c.n_kv : c.q_position + c.n_q;
  if (c.device_n_kv) {
    ASSERT_EQ(c.q_position, n_kv - c.n_q) << "device n_kv fixes the query positions";
  }
  const int64_t bound = c.device_n_kv ? n_kv + 37 : n_kv;  // kv.n_kv
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>{}(c.name)));
  std::uniform_real_distribution<float> qdist(-2.0f, 2.0f), kdist(-1.0f, 1.0f);

  // q [n_q, n_heads, d] with `pad` NaN elements after each row; the f32 copy is dense.
  const int64_t q_row = nh * d + c.pad;
  std::vector<uint16_t> q16(static_cast<size_t>(c.n_q * q_row), nan_16(t));
  test::OwnedView qf = test::make_tensor(Shape{c.n_q, nh, d});
  for (int64_t i = 0; i < c.n_q; ++i)
    for (int64_t e = 0; e < nh * d; ++e) {
      const uint16_t x = to_16(t, qdist(rng));
      q16[static_cast<size_t>(i * q_row + e)] = x;
      qf.view.as<float>()[i * nh * d + e] = to_f32(t, x);
    }

  // K/V pool: contiguous rows, or blocks in a shuffled table over a larger pool. Every
  // element starts as NaN; keys 0..n_kv-1 are then written through the layout.
  const int64_t row_stride = nkh * d;
  const int64_t bs = c.block_size > 0 ? c.block_size : std::max<int64_t>(bound, 1);
  const int64_t n_table = (bound + bs - 1) / bs, n_blocks = c.block_size > 0 ? n_table + 3 : 1;
  const int64_t block_stride = bs * row_stride + (c.block_size > 0 ? 8 : 0);
  std::vector<int32_t> blocks(static_cast<size_t>(n_blocks));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  std::vector<int32_t> table(blocks.begin(), blocks.begin() + std::max<int64_t>(n_table, 1));
  std::vector<uint16_t> k16(static_cast<size_t>(n_blocks * block_stride), nan_16(t)), v16(k16);
  const int64_t n_kv_rows = std::max<int64_t>(n_kv, 1);
  test::OwnedView kf = test::make_tensor(Shape{n_kv_rows, nkh, d}), vf = test::make_tensor(Shape{n_kv_rows, nkh, d});
  for (int64_t j = 0; j < n_kv; ++j) {
    const int64_t base = c.block_size > 0 ? table[static_cast<size_t>(j / bs)] * block_stride + (j % bs) * row_stride
                                          : j * row_stride;
    for (int64_t e = 0; e < row_stride; ++e) {
      const uint16_t kx = to_16(t, kdist(rng)), vx = to_16(t, kdist(rng));
      k16[static_cast<size_t>(base + e)] = kx;
      v16[static_cast<size_t>(base + e)] = vx;
      kf.view.as<float>()[j * row_stride + e] = to_f32(t, kx);
      vf.view.as<float>()[j * row_stride + e] = to_f32(t, vx);
    }
  }

  const size_t out_elem = c.out_f32 ? 4 : 2;
  const int64_t o_row = nh * d + c.pad;
  std::vector<uint8_t> out_host(static_cast<size_t>(c.n_q * o_row) * out_elem, 0xA5);  // sentinel
  const int32_t n_kv_i32 = static_cast<int32_t>(n_kv);
  DevBuf dq, dk, dv, dtable, dout, dn;
  ASSERT_EQ(dq.upload(q16.data(), q16.size() * 2), 0);
  ASSERT_EQ(dk.upload(k16.data(), k16.size() * 2), 0);
  ASSERT_EQ(dv.upload(v16.data(), v16.size() * 2), 0);
  ASSERT_EQ(dtable.upload(table.data(), table.size() * 4), 0);
  ASSERT_EQ(dout.upload(out_host.data(), out_host.size()), 0);
  ASSERT_EQ(dn.upload(&n_kv_i32, 4), 0);

  AttnArgs a;
  a.type = t;
  a.q = dq.ptr, a.q_row_stride = q_row, a.q_head_stride = d;
  a.out = dout.ptr, a.out_f32 = c.out_f32, a.o_row_stride = o_row, a.o_head_stride = d;
  a.n_q = c.n_q, a.n_heads = c.n_heads, a.head_dim = c.head_dim;
  a.scale = c.scale, a.sliding_window = c.window;
  a.q_position = c.device_n_kv ? 987654 : c.q_position;  // ignored with a device count
  a.kv.k = dk.ptr, a.kv.v = dv.ptr;
  a.kv.block_table = c.block_size > 0 ? static_cast<const int32_t*>(dtable.ptr) : nullptr;
  a.kv.block_size = c.block_size, a.kv.block_stride = c.block_size > 0 ? block_stride : 0;
  a.kv.row_stride = row_stride, a.kv.head_stride = d;
  a.kv.n_kv = bound, a.kv.n_kv_heads = c.n_kv_heads;
  a.kv.n_kv_device = c.device_n_kv ? static_cast<const int32_t*>(dn.ptr) : nullptr;
  ASSERT_EQ(kernels::attention_prefill(a, nullptr), 0);
  ASSERT_EQ(kernels::cuda_synchronize(nullptr), 0);
  ASSERT_EQ(kernels::cuda_memcpy_d2h(out_host.data(), dout.ptr, out_host.size()), 0);

  test::OwnedView expected = test::make_tensor(Shape{c.n_q, nh, d});
  AttentionParams params;
  params.scale = c.scale, params.q_position = c.q_position, params.sliding_window = c.window;
  if (n_kv > 0) {
    run_reference(qf, kf.view.slice(0, 0, n_kv).value(), vf.view.slice(0, 0, n_kv).value(), params, expected,
                  c.n_heads, c.n_kv_heads);
  }  // else every row sees no key: zeros

  // Output padding untouched; the view's values widened to f32.
  test::OwnedView actual = test::make_tensor(Shape{c.n_q, nh, d});
  int64_t pad_changed = 0;
  for (int64_t i = 0; i < c.n_q; ++i) {
    for (int64_t e = 0; e < o_row; ++e) {
      const uint8_t* src = &out_host[static_cast<size_t>(i * o_row + e) * out_elem];
      if (e >= nh * d) {
        pad_changed += std::any_of(src, src + out_elem, [](uint8_t b) { return b != 0xA5; });
        continue;
      }
      float x;
      if (c.out_f32) {
        std::memcpy(&x, src, 4);
      } else {
        uint16_t h;
        std::memcpy(&h, src, 2);
        x = to_f32(t, h);
      }
      actual.view.as<float>()[i * nh * d + e] = x;
    }
  }
  EXPECT_EQ(pad_changed, 0) << "writes into the output row padding";

  // Tolerance. Inputs are exact in f32 on both sides. The kernel rounds each softmax
  // weight p to the input type before P*V (relative error <= u = 2^-9 bf16, 2^-11 f16)
  // while l sums the unrounded weights, so |out - ref| <= u * max|v| (max|v| <= 1 here);
  // we allow 2u. f32 accumulation of <= 5000 weighted values adds <= 5000 * 2^-24 = 3e-4
  // in the worst case (the scores' f32 error, ~1e-5 relative in the weights, is far
  // below). A 16-bit output adds one more rounding: rtol u.
  const double u = unit_roundoff(t);
  const test::Tolerance tol{2.0 * u + 3e-4, c.out_f32 ? 1e-6 : u};
  EXPECT_TRUE(test::all_close(actual, expected, tol)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaAttentionPrefill, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Arguments the kernel cannot run are refused before any CUDA call, so this runs anywhere.
TEST(CudaAttentionPrefillArgs, RefusedWithInvalidValue) {
  alignas(16) static uint16_t buf[64];
  int32_t table[1] = {0};
  auto good = [&] {
    AttnArgs a;
    a.type = kBF16;
    a.q = buf, a.q_row_stride = 128, a.q_head_stride = 64;
    a.out = buf, a.o_row_stride = 128, a.o_head_stride = 64;
    a.n_q = 0, a.n_heads = 2, a.head_dim = 64;
    a.kv.k = buf, a.kv.v = buf, a.kv.row_stride = 64, a.kv.head_stride = 64;
    a.kv.n_kv = 4, a.kv.n_kv_heads = 1;
    return a;
  };
  EXPECT_EQ(kernels::attention_prefill(good(), nullptr), 0) << "n_q = 0 launches nothing";
  const int kInvalid = static_cast<int>(cudaErrorInvalidValue);
  auto expect_refused = [&](const char* what, auto change) {
    AttnArgs a = good();
    change(a);
    EXPECT_EQ(kernels::attention_prefill(a, nullptr), kInvalid) << what;
  };
  expect_refused("head_dim 96", [](AttnArgs& a) { a.head_dim = 96; });
  expect_refused("heads not a multiple", [](AttnArgs& a) { a.n_heads = 3, a.kv.n_kv_heads = 2; });
  expect_refused("no kv heads", [](AttnArgs& a) { a.kv.n_kv_heads = 0; });
  expect_refused("null q", [](AttnArgs& a) { a.q = nullptr; });
  expect_refused("null out", [](AttnArgs& a) { a.out = nullptr; });
  expect_refused("null v", [](AttnArgs& a) { a.kv.v = nullptr; });
  AttnArgs no_keys = good();  // an empty cache may come without K/V memory
  no_keys.kv.k = no_keys.kv.v = nullptr;
  no_keys.kv.n_kv = 0;
  EXPECT_EQ(kernels::attention_prefill(no_keys, nullptr), 0);
  expect_refused("q not 16-byte aligned", [](AttnArgs& a) { a.q = buf + 1; });
  expect_refused("k row stride 100", [](AttnArgs& a) { a.kv.row_stride = 100; });
  expect_refused("q head stride 60", [](AttnArgs& a) { a.q_head_stride = 60; });
  expect_refused("odd out stride", [](AttnArgs& a) { a.o_row_stride = 129; });
  expect_refused("paged with block size 0", [&](AttnArgs& a) { a.kv.block_table = table; });
  expect_refused("negative window", [](AttnArgs& a) { a.sliding_window = -1; });
  expect_refused("negative n_q", [](AttnArgs& a) { a.n_q = -1; });
  expect_refused("bad type", [](AttnArgs& a) { a.type = static_cast<AttnType>(7); });
  expect_refused("scale NaN", [](AttnArgs& a) { a.scale = NAN; });
  expect_refused("q_position 2^40", [](AttnArgs& a) { a.q_position = int64_t{1} << 40; });
  expect_refused("n_kv past 2^31", [](AttnArgs& a) { a.kv.n_kv = int64_t{1} << 31; });
  AttnArgs device_count = good();  // q_position is ignored when the count is read at run time
  device_count.q_position = int64_t{1} << 40;
  device_count.kv.n_kv_device = table;
  EXPECT_EQ(kernels::attention_prefill(device_count, nullptr), 0);
}

}  // namespace
}  // namespace mistralrs

#endif  // MISTRALRS_HAS_CUDA
