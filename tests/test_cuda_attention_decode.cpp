// The split-KV decode kernel (kernels/attention_decode.cu) called directly, the CUDA paths
// of the attention, cached_attention and kv_write ops, all against the CPU: ref::attention
// (double) or the CPU ops, fed with the same f16/bf16-rounded values the device reads.
// Skipped, with the reason, when the build has no CUDA or no device is present.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "attention.h"
#include "common/cuda_test_util.h"
#include "cuda_memory.h"
#include "ops/cpu/reference.h"

namespace mistralrs {
namespace {

class CudaAttentionDecode : public ::testing::Test {
 protected:
  void SetUp() override {
    MISTRALRS_SKIP_WITHOUT_CUDA("the CUDA decode attention tests");
  }
};

uint16_t to_bits(DType t, float x) { return t == DType::kF16 ? fp32_to_fp16(x) : fp32_to_bf16(x); }
float from_bits(DType t, uint16_t b) { return t == DType::kF16 ? fp16_to_fp32(b) : bf16_to_fp32(b); }

// Random values in [lo, hi) rounded to t: `f` holds them as f32 (for the CPU), `bits` as t.
struct Rounded {
  std::vector<float> f;
  std::vector<uint16_t> bits;
};
Rounded make_rounded(int64_t n, DType t, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Rounded r;
  for (int64_t i = 0; i < n; ++i) {
    r.bits.push_back(to_bits(t, dist(rng)));
    r.f.push_back(from_bits(t, r.bits.back()));
  }
  return r;
}

Tensor upload(const void* data, size_t bytes, Shape shape, DType t) {
  auto d = Tensor::empty(shape, t, Device::cuda(0));
  EXPECT_TRUE(d) << d.status().to_string();
  if (!d) return Tensor();
  EXPECT_EQ(0, kernels::cuda_memcpy_h2d(d.value().view().data, data, bytes));
  return std::move(d.value());
}

// Device output [n, h, d] in f32, f16 or bf16, read back as f32.
std::vector<float> download_f32(const Tensor& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  if (t.dtype() == DType::kF32) {
    EXPECT_EQ(0, kernels::cuda_memcpy_d2h(out.data(), t.view().data, n * 4));
    return out;
  }
  std::vector<uint16_t> b(n);
  EXPECT_EQ(0, kernels::cuda_memcpy_d2h(b.data(), t.view().data, n * 2));
  for (size_t i = 0; i < n; ++i) out[i] = from_bits(t.dtype(), b[i]);
  return out;
}

struct Tol {
  double atol, rtol;
};
// Both sides read identical rounded inputs. The device computes scores in f32 (a dot of up
// to 256 products of magnitude <= 1: error ~1e-6 relative), weights with exp2f (2 ulp) and
// sums up to 70000 weighted values in f32 through online rescaling and the split combine:
// together well under 1e-4 on outputs that are convex combinations of values in [-1, 1].
// A 16-bit output adds its rounding: half an ulp, 2^-9 (bf16) or 2^-12 (f16) relative.
constexpr Tol kOutF32{1e-4, 1e-3};
constexpr Tol kOutBf16{1e-3, 4e-3};
constexpr Tol kOutF16{2e-4, 1.5e-3};
Tol tol_for(DType out) { return out == DType::kF32 ? kOutF32 : out == DType::kBF16 ? kOutBf16 : kOutF16; }

// Worst element by its (query, head, dim), with expected, actual and the bound.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, int64_t n_heads,
                  int64_t d, Tol tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int64_t n_bad = 0;
  size_t worst = 0;
  double worst_excess = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double bound = tol.atol + tol.rtol * std::fabs(want[i]);
    const double err = std::fabs(double{got[i]} - want[i]);
    if (!(err <= bound)) {
      ++n_bad;
      const double excess = std::isnan(err) ? INFINITY : err / bound;
      if (n_bad == 1 || excess > worst_excess) worst_excess = excess, worst = i;
    }
  }
  if (n_bad == 0) return;
  const int64_t w = static_cast<int64_t>(worst);
  ADD_FAILURE() << what << ": " << n_bad << " of " << got.size() << " out of tolerance; worst at (q "
                << w / (n_heads * d) << ", head " << (w / d) % n_heads << ", dim " << w % d
                << "): expected " << want[worst] << ", actual " << got[worst] << ", tol "
                << tol.atol << " + " << tol.rtol << " * |expected|";
}

struct Case {
  int64_t n_q, n_heads, kvh, d, n_kv;
  DType type;
  bool paged, out_f32;
  int64_t window = 0;
  int64_t device_n_kv = -1;  // >= 0: the key count the kernel reads from device memory
  int64_t q_position = -1;   // -1: n_kv - n_q (the queries are the last positions)
};

std::string describe(const Case& c) {
  return "n_q " + std::to_string(c.n_q) + " heads " + std::to_string(c.n_heads) + "/" +
         std::to_string(c.kvh) + " d " + std::to_string(c.d) + " n_kv " + std::to_string(c.n_kv) +
         " " + std::string(dtype_name(c.type)) + (c.paged ? " paged" : " contiguous") +
         (c.out_f32 ? " out f32" : " out 16-bit") + " window " + std::to_string(c.window) +
         " device_n_kv " + std::to_string(c.device_n_kv) + " q_position " + std::to_string(c.q_position);
}

constexpr int64_t kBlock = 16;

// Calls attention_decode directly and compares with ref::attention.
void run_case(const Case& c) {
  const std::string what = describe(c);
  const int64_t row = c.kvh * c.d;
  const Rounded q = make_rounded(c.n_q * c.n_heads * c.d, c.type, 1, -2.0f, 2.0f);
  const Rounded k = make_rounded(c.n_kv * row, c.type, 2), v = make_rounded(c.n_kv * row, c.type, 3);
  // Paged: a shuffled permutation of n_blocks blocks, one spare; row j at table[j / 16].
  const int64_t n_blocks = (c.n_kv + kBlock - 1) / kBlock + 1;
  std::vector<int32_t> table(static_cast<size_t>(n_blocks));
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), std::mt19937(4));
  std::vector<uint16_t> kp = k.bits, vp = v.bits;
  if (c.paged) {
    kp.assign(static_cast<size_t>(n_blocks * kBlock * row), 0);
    vp = kp;
    for (int64_t j = 0; j < c.n_kv; ++j) {
      const int64_t dst = (table[static_cast<size_t>(j / kBlock)] * kBlock + j % kBlock) * row;
      std::copy_n(k.bits.begin() + j * row, row, kp.begin() + dst);
      std::copy_n(v.bits.begin() + j * row, row, vp.begin() + dst);
    }
  }
  const Shape kv_shape{static_cast<int64_t>(kp.size())};
  Tensor qd = upload(q.bits.data(), q.bits.size() * 2, Shape{c.n_q, c.n_heads, c.d}, c.type);
  Tensor kd = upload(kp.data(), kp.size() * 2, kv_shape, c.type);
  Tensor vd = upload(vp.data(), vp.size() * 2, kv_shape, c.type);
  Tensor td = upload(table.data(), table.size() * 4, Shape{n_blocks}, DType::kI32);
  const int32_t dev_n = static_cast<int32_t>(c.device_n_kv);
  Tensor nd = upload(&dev_n, 4, Shape{1}, DType::kI32);
  const DType out_type = c.out_f32 ? DType::kF32 : c.type;
  auto od = Tensor::empty(Shape{c.n_q, c.n_heads, c.d}, out_type, Device::cuda(0));
  ASSERT_TRUE(od) << od.status().to_string();

  kernels::AttnArgs a;
  a.type = c.type == DType::kF16 ? kernels::AttnType::kF16 : kernels::AttnType::kBF16;
  a.q = qd.view().data;
  a.q_row_stride = c.n_heads * c.d;
  a.q_head_stride = c.d;
  a.out = od.value().view().data;
  a.out_f32 = c.out_f32;
  a.o_row_stride = c.n_heads * c.d;
  a.o_head_stride = c.d;
  a.n_q = c.n_q;
  a.n_heads = static_cast<int32_t>(c.n_heads);
  a.head_dim = static_cast<int32_t>(c.d);
  a.kv.k = kd.view().data;
  a.kv.v = vd.view().data;
  a.kv.block_table = c.paged ? td.as<const int32_t>() : nullptr;
  a.kv.block_size = kBlock;
  a.kv.block_stride = kBlock * row;
  a.kv.row_stride = row;
  a.kv.head_stride = c.d;
  a.kv.n_kv = c.n_kv;
  a.kv.n_kv_device = c.device_n_kv >= 0 ? nd.as<const int32_t>() : nullptr;
  a.kv.n_kv_heads = static_cast<int32_t>(c.kvh);
  a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.d)));
  a.q_position = c.q_position >= 0 ? c.q_position : c.n_kv - c.n_q;
  a.sliding_window = c.window;
  const int err = kernels::attention_decode(a, nullptr);
  ASSERT_EQ(err, 0) << what << ": " << kernels::cuda_error_string(err);
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr)) << what;
  const std::vector<float> got = download_f32(od.value());

  // The reference sees the keys the kernel may see: all n_kv, or the device count.
  const int64_t rt = c.device_n_kv >= 0 ? c.device_n_kv : c.n_kv;
  std::vector<float> qf = q.f, kf(k.f.begin(), k.f.begin() + rt * row), vf(v.f.begin(), v.f.begin() + rt * row);
  kf.resize(static_cast<size_t>(std::max<int64_t>(rt, 1) * row));
  vf.resize(kf.size());
  TensorView qv(qf.data(), DType::kF32, Shape{c.n_q, c.n_heads, c.d});
  TensorView kv(kf.data(), DType::kF32, Shape{rt, c.kvh, c.d});
  TensorView vv(vf.data(), DType::kF32, Shape{rt, c.kvh, c.d});
  std::vector<float> want(got.size());
  TensorView ov(want.data(), DType::kF32, qv.shape);
  AttentionParams p;
  p.scale = a.scale;
  p.q_position = c.device_n_kv >= 0 ? rt - c.n_q : a.q_position;
  p.sliding_window = c.window;
  ASSERT_TRUE(ref::attention(qv, kv, vv, p, ov).is_ok());
  expect_close(got, want, c.n_heads, c.d, tol_for(out_type), what);
}

struct Gqa {
  int64_t heads, kvh;
};
constexpr Gqa kGqa[] = {{32, 8}, {8, 8}, {8, 1}};

TEST_F(CudaAttentionDecode, ShortContextsEveryShape) {
  int i = 0;
  for (int64_t d : {64, 128, 256})
    for (const Gqa& g : kGqa)
      for (int64_t n_q = 1; n_q <= 4; ++n_q)
        for (int64_t n_kv : {1, 2, 63, 64, 65, 1000}) {
          if (n_kv < n_q) continue;
          ++i;
          const DType t = i % 2 ? DType::kBF16 : DType::kF16;
          run_case({n_q, g.heads, g.kvh, d, n_kv, t, i % 3 != 0, i % 4 != 1});
          if (HasFatalFailure()) return;
        }
}

TEST_F(CudaAttentionDecode, LongContexts) {
  for (int64_t d : {64, 128, 256})
    for (bool paged : {true, false}) {
      run_case({1, 32, 8, d, 4096, DType::kBF16, paged, true});
      run_case({3, 32, 8, d, 4096, DType::kF16, paged, false});
    }
  for (bool paged : {true, false}) {
    run_case({1, 32, 8, 128, 70000, DType::kBF16, paged, true});
    run_case({2, 8, 1, 128, 70000, DType::kBF16, paged, false});
  }
}

TEST_F(CudaAttentionDecode, SlidingWindowAndEarlyQueries) {
  for (int64_t window : {1, 5, 100, 4000})
    for (int64_t n_q : {1, 4}) run_case({n_q, 32, 8, 128, 4096, DType::kBF16, true, true, window});
  // Queries at positions 0..3 of a 65-key cache: causal masks inside the tile.
  run_case({4, 8, 2, 64, 65, DType::kF16, false, true, 0, -1, 0});
  // Queries past a short window of the cache: positions 200..201, window 3, 65 keys: zeros.
  run_case({2, 8, 2, 64, 65, DType::kBF16, true, true, 3, -1, 200});
}

TEST_F(CudaAttentionDecode, KeyCountReadFromDevice) {
  // Bound 1000; the count read at run time: all, fewer, a short one, fewer than the queries
  // (rows before the cache see nothing) and zero.
  for (int64_t rt : {1000, 700, 17, 2, 0}) {
    run_case({3, 32, 8, 128, 1000, DType::kBF16, true, true, 0, rt});
    run_case({1, 8, 8, 64, 1000, DType::kF16, false, false, 50, rt});
  }
}

TEST_F(CudaAttentionDecode, ManyRowsUseSeveralRowTiles) {
  // 4 queries x 8 heads per kv head = 32 rows: two row tiles of the decode kernel.
  run_case({4, 8, 1, 128, 1000, DType::kBF16, true, true});
  run_case({9, 32, 8, 64, 300, DType::kF16, false, true, 40});
}

TEST_F(CudaAttentionDecode, RefusesWhatItCannotRun) {
  kernels::AttnArgs a;
  a.type = kernels::AttnType::kBF16;
  a.n_q = 1;
  a.n_heads = 8;
  a.head_dim = 96;
  a.kv.n_kv_heads = 8;
  a.scale = 1.0f;
  EXPECT_EQ(kernels::attention_decode(a, nullptr), 1) << "head_dim 96";  // cudaErrorInvalidValue
  a.head_dim = 128;
  a.kv.n_kv_heads = 3;
  EXPECT_EQ(kernels::attention_decode(a, nullptr), 1) << "8 heads over 3 kv heads";
  EXPECT_TRUE(kernels::attention_prefers_decode(1, 32, 8));
  EXPECT_TRUE(kernels::attention_prefers_decode(4, 32, 8));
  EXPECT_FALSE(kernels::attention_prefers_decode(5, 32, 8));
  EXPECT_FALSE(kernels::attention_prefers_decode(512, 32, 8));
  EXPECT_EQ(0, kernels::cuda_synchronize(nullptr));
}

// ---- the ops on CUDA against the ops on the CPU ---------------------------------------

// A device copy of a contiguous host tensor, and a host copy of a device one.
Tensor to_device(const Tensor& h) { return upload(h.view().data, h.nbytes(), h.shape(), h.dtype()); }
Tensor to_host(const Tensor& d) {
  auto h = Tensor::empty(d.shape(), d.dtype());
  EXPECT_TRUE(h);
  EXPECT_EQ(0, kernels::cuda_memcpy_d2h(h.value().view().data, d.view().data, d.nbytes()));
  return std::move(h.value());
}
// A host tensor of random values rounded to t, and its f32 twin.
std::pair<Tensor, Tensor> rounded_tensor(Shape s, DType t, uint32_t seed) {
  const Rounded r = make_rounded(s.numel(), t, seed);
  auto bits = Tensor::empty(s, t), f = Tensor::empty(s, DType::kF32);
  EXPECT_TRUE(bits && f);
  std::copy(r.bits.begin(), r.bits.end(), bits.value().as<uint16_t>());
  std::copy(r.f.begin(), r.f.end(), f.value().as<float>());
  return {std::move(bits.value()), std::move(f.value())};
}

std::vector<float> values_of(const Tensor& host_f32) {
  return std::vector<float>(host_f32.as<float>(), host_f32.as<float>() + host_f32.numel());
}

// q, k, v as slices of one fused [n, heads + 2 kvh, d] projection (strided rows), out f32
// and bf16; n_q 1 and 5 run the decode kernel, 70 the prefill kernel.
TEST_F(CudaAttentionDecode, AttentionOpMatchesCpuOp) {
  const int64_t heads = 32, kvh = 8, d = 128;
  for (int64_t n : {1, 5, 70}) {
    auto [bits, f] = rounded_tensor(Shape{n, heads + 2 * kvh, d}, DType::kBF16, 12);
    Tensor dev = to_device(bits);
    auto slices = [&](const TensorView& t) {
      return std::array<TensorView, 3>{t.slice(1, 0, heads).value(), t.slice(1, heads, heads + kvh).value(),
                                       t.slice(1, heads + kvh, heads + 2 * kvh).value()};
    };
    const auto hv = slices(f.view()), dv = slices(dev.view());
    auto want = Tensor::empty(Shape{n, heads, d}, DType::kF32);
    ASSERT_TRUE(want);
    AttentionParams p;
    p.sliding_window = n == 70 ? 33 : 0;
    ASSERT_TRUE(attention(OpContext{}, hv[0], hv[1], hv[2], p, want.value().view()).is_ok());
    for (DType out_t : {DType::kF32, DType::kBF16}) {
      auto out = Tensor::empty(Shape{n, heads, d}, out_t, Device::cuda(0));
      ASSERT_TRUE(out);
      const Status s = attention(OpContext{}, dv[0], dv[1], dv[2], p, out.value().view());
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
      expect_close(download_f32(out.value()), values_of(want.value()), heads, d, tol_for(out_t),
                   "attention op n " + std::to_string(n) + " out " + std::string(dtype_name(out_t)));
    }
  }
  // f32 has no CUDA path: a status, nothing launched.
  auto q32 = Tensor::empty(Shape{1, 8, 64}, DType::kF32, Device::cuda(0));
  auto k32 = Tensor::empty(Shape{4, 8, 64}, DType::kF32, Device::cuda(0));
  auto o32 = Tensor::empty(Shape{1, 8, 64}, DType::kF32, Device::cuda(0));
  ASSERT_TRUE(q32 && k32 && o32);
  const Status s = attention(OpContext{}, q32.value().view(), k32.value().view(), k32.value().view(),
                             AttentionParams{}, o32.value().view());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
}

// A paged cache filled by kv_write on each side (prefill rows, then single-row steps at a
// position read from device memory; f32 rows rounded to the pool type, or rows already in
// it), the pools compared byte for byte, then cached_attention with the key count given on
// the host and read from the device.
TEST_F(CudaAttentionDecode, KvWriteAndCachedAttentionMatchCpuOps) {
  const int64_t kvh = 8, d = 128, heads = 32, n_blocks = 40, bs = 16, n_kv = 500;
  for (DType t : {DType::kBF16, DType::kF16}) {
    auto kh = Tensor::empty(Shape{n_blocks, bs, kvh, d}, t), vh = Tensor::empty(Shape{n_blocks, bs, kvh, d}, t);
    auto table = Tensor::empty(Shape{n_blocks - 2}, DType::kI32);
    ASSERT_TRUE(kh && vh && table);
    std::vector<int32_t> perm(static_cast<size_t>(n_blocks));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), std::mt19937(3));
    std::copy_n(perm.begin(), n_blocks - 2, table.value().as<int32_t>());
    Tensor kd = to_device(kh.value()), vd = to_device(vh.value()), td = to_device(table.value());
    KvCacheView hc{kh.value().view(), vh.value().view(), table.value().view(), 0, nullptr};
    KvCacheView dc{kd.view(), vd.view(), td.view(), 0, nullptr};
    for (int64_t pos = 0; pos < n_kv;) {
      const int64_t n = pos == 0 ? 480 : 1;
      auto [kb, kf] = rounded_tensor(Shape{n, kvh, d}, t, static_cast<uint32_t>(100 + pos));
      auto [vb, vf] = rounded_tensor(Shape{n, kvh, d}, t, static_cast<uint32_t>(900 + pos));
      ASSERT_TRUE(kv_write(OpContext{}, kf.view(), vf.view(), hc, pos).is_ok());
      Tensor kfd = to_device(kf), vfd = to_device(vf), kbd = to_device(kb), vbd = to_device(vb);
      const int32_t p32 = static_cast<int32_t>(pos);
      Tensor pd = upload(&p32, 4, Shape{1}, DType::kI32);
      const bool f32_rows = pos % 2 == 0;
      const Status s = kv_write(OpContext{}, f32_rows ? kfd.view() : kbd.view(),
                                f32_rows ? vfd.view() : vbd.view(), dc, 0, pd.as<const int32_t>());
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));  // before pd and the rows are freed
      pos += n;
    }
    Tensor kback = to_host(kd), vback = to_host(vd);
    ASSERT_EQ(0, std::memcmp(kback.view().data, kh.value().view().data, kh.value().nbytes())) << "k pool";
    ASSERT_EQ(0, std::memcmp(vback.view().data, vh.value().view().data, vh.value().nbytes())) << "v pool";
    hc.n_kv = dc.n_kv = n_kv;
    for (int64_t n_q : {1, 3}) {
      auto [qb, qf] = rounded_tensor(Shape{n_q, heads, d}, t, 77);
      Tensor qd = to_device(qb);
      auto want = Tensor::empty(Shape{n_q, heads, d}, DType::kF32);
      auto out = Tensor::empty(Shape{n_q, heads, d}, DType::kF32, Device::cuda(0));
      ASSERT_TRUE(want && out);
      AttentionParams p;
      p.sliding_window = n_q == 3 ? 100 : 0;
      ASSERT_TRUE(cached_attention(OpContext{}, qf.view(), hc, p, want.value().view()).is_ok());
      const int32_t rt = static_cast<int32_t>(n_kv);
      Tensor nd = upload(&rt, 4, Shape{1}, DType::kI32);
      for (bool on_device : {false, true}) {
        KvCacheView c = dc;
        if (on_device) c.n_kv = (n_blocks - 2) * bs, c.device_n_kv = nd.as<const int32_t>();
        const Status s = cached_attention(OpContext{}, qd.view(), c, p, out.value().view());
        ASSERT_TRUE(s.is_ok()) << s.to_string();
        ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
        expect_close(download_f32(out.value()), values_of(want.value()), heads, d, kOutF32,
                     "cached_attention " + std::string(dtype_name(t)) + " n_q " + std::to_string(n_q) +
                         (on_device ? " device n_kv" : ""));
      }
    }
  }
}

}  // namespace
}  // namespace mistralrs

#else  // !MISTRALRS_HAS_CUDA

TEST(CudaAttentionDecode, SkippedWithoutCuda) {
  GTEST_SKIP() << "this build of libmistralrs has no CUDA (MISTRALRS_CUDA=OFF or nvcc/cuBLAS "
                  "not found); the CUDA decode attention tests did not run";
}

#endif  // MISTRALRS_HAS_CUDA
