// The CUDA layer_norm (with bias), softmax (long rows, masked and shifted rows), rope and
// cast against the CPU op or reference on the same data and layouts, run through the op
// layer. Device tests skip, with the reason, when the build has no CUDA or no device is
// present; the launcher argument checks (no launch happens) run wherever CUDA is built.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "cast.h"
#include "common/cuda_test_util.h"
#include "cuda_memory.h"
#include "layer_norm.h"
#include "ops/cpu/reference.h"
#include "rope.h"
#include "softmax.h"

namespace mistralrs {
namespace {

class CudaOpsMore : public ::testing::Test {
 protected:
  void SetUp() override {
    MISTRALRS_SKIP_WITHOUT_CUDA("the CUDA op tests");
  }
  OpContext ctx_;
};

// A flat host buffer of `n` elements of `dtype` (raw bytes) and its device copy.
struct Pair {
  Tensor host, dev;
};
Pair upload(int64_t n, DType dtype, const void* init) {
  auto h = Tensor::empty({std::max<int64_t>(n, 1)}, dtype);
  auto d = Tensor::empty({std::max<int64_t>(n, 1)}, dtype, Device::cuda(0));
  EXPECT_TRUE(h && d);
  Pair p{std::move(h.value()), std::move(d.value())};
  if (init) std::memcpy(p.host.as<char>(), init, p.host.nbytes());
  EXPECT_EQ(0, kernels::cuda_memcpy_h2d(p.dev.as<char>(), p.host.as<char>(), p.host.nbytes()));
  return p;
}
std::vector<char> download(const Tensor& dev) {
  std::vector<char> h(dev.nbytes());
  EXPECT_EQ(0, kernels::cuda_memcpy_d2h(h.data(), dev.as<char>(), h.size()));
  return h;
}
std::vector<float> random_floats(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(std::max<int64_t>(n, 1)));
  for (float& f : v) f = dist(rng);
  return v;
}

// Same view geometry over the host and the device buffer of a Pair.
TensorView view(const Tensor& t, Shape shape, std::initializer_list<int64_t> strides, int64_t offset = 0) {
  TensorView v(t.as<char>() + t.view().byte_offset(offset), t.dtype(), shape, t.device());
  size_t i = 0;
  for (int64_t s : strides) v.strides[i++] = s;
  return v;
}

struct Tol {
  double atol, rtol;
};

// Compares two f32 buffers over the whole storage: inside or outside a view alike, since the
// untouched parts must match too (both started from the same sentinel or input).
void expect_close(const std::vector<char>& want_bytes, const std::vector<char>& got_bytes, Tol tol,
                  const std::string& what) {
  ASSERT_EQ(want_bytes.size(), got_bytes.size());
  const size_t n = want_bytes.size() / 4;
  std::vector<float> want(n), got(n);
  std::memcpy(want.data(), want_bytes.data(), n * 4);
  std::memcpy(got.data(), got_bytes.data(), n * 4);
  size_t bad = 0, worst = 0;
  double worst_excess = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = want[i], a = got[i];
    const double bound = tol.atol + tol.rtol * std::fabs(e);
    const double err = std::isnan(e) && std::isnan(a) ? 0.0 : std::fabs(a - e);
    if (!(err <= bound)) {
      const double excess = std::isnan(err) ? INFINITY : err / bound;
      if (bad++ == 0 || excess > worst_excess) worst_excess = excess, worst = i;
    }
  }
  if (bad)
    ADD_FAILURE() << what << ": " << bad << " of " << n << " elements out of tolerance; worst at "
                  << worst << ": expected " << want[worst] << ", actual " << got[worst]
                  << ", tol " << tol.atol << " + " << tol.rtol << " * |expected|";
}

// ---- layer_norm with bias -----------------------------------------------------------------

// f32 sums on the device in a different order than the CPU's lanes: the mean and variance
// differ by ~sqrt(cols) ulps (4e-6 relative at 4097), well inside 1e-5.
constexpr Tol kNormTol{1e-5, 1e-5};

TEST_F(CudaOpsMore, LayerNormWithBiasMatchesReference) {
  struct C { int64_t rows, cols, stride, offset; };
  const C cases[] = {{1, 1, 1, 0},    {1, 3, 3, 0},    {1, 4097, 4097, 0}, {1, 4096, 4096, 0},
                     {7, 3, 3, 0},    {2, 4097, 4097, 0}, {64, 256, 256, 0}, {5, 33, 40, 0},
                     {6, 64, 72, 0},  {3, 64, 64, 1},  {70000, 8, 8, 0}};  // > 65535 rows
  for (const C& c : cases) {
    for (bool with_bias : {true, false}) {
      for (bool in_place : {false, true}) {
        const std::string what = "layer_norm " + std::to_string(c.rows) + "x" + std::to_string(c.cols) +
                                 " stride " + std::to_string(c.stride) + (with_bias ? " bias" : "") +
                                 (in_place ? " in place" : "");
        const int64_t n = c.offset + c.rows * c.stride;
        const std::vector<float> xs = random_floats(n, 1, -4, 4), ws = random_floats(c.cols, 2, -2, 2),
                                 bs = random_floats(c.cols, 3, -1, 1), sentinel(static_cast<size_t>(n), -777.0f);
        Pair x = upload(n, DType::kF32, xs.data()), w = upload(c.cols, DType::kF32, ws.data()),
             b = upload(c.cols, DType::kF32, bs.data());
        Pair y = upload(n, DType::kF32, sentinel.data());
        Pair& out = in_place ? x : y;
        const Shape s{c.rows, c.cols};
        auto xv = [&](const Tensor& t) { return view(t, s, {c.stride, 1}, c.offset); };
        const TensorView wv_d = view(w.dev, Shape{c.cols}, {1}), bv_d = view(b.dev, Shape{c.cols}, {1});
        const Status st = layer_norm(ctx_, xv(x.dev), wv_d, with_bias ? bv_d : TensorView{}, 1e-5f, xv(out.dev));
        ASSERT_TRUE(st.is_ok()) << what << ": " << st.to_string();
        ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
        const TensorView bv_h = view(b.host, Shape{c.cols}, {1});
        ASSERT_TRUE(ref::layer_norm(xv(x.host), view(w.host, Shape{c.cols}, {1}),
                                    with_bias ? bv_h : TensorView{}, 1e-5f, xv(out.host)).is_ok());
        std::vector<char> want(out.host.nbytes());
        std::memcpy(want.data(), out.host.as<char>(), want.size());
        expect_close(want, download(out.dev), kNormTol, what);
      }
    }
  }
}

// ---- softmax: long rows, masks, large magnitudes ---------------------------------------------

// expf within 2 ulp; the row sum adds ~n/threads values per thread then reduces over <= 10
// levels, so its relative error is at most (n/1024 + 10) eps: 138 eps = 8.2e-6 at 131072
// columns, plus 3 ulp for exp, reciprocal and product: inside 1e-5. atol only for outputs
// that underflow (exp of -88 and below).
constexpr Tol kSoftmaxTol{1e-30, 1e-5};

void check_softmax(const OpContext& ctx, int64_t rows, int64_t cols, int64_t stride,
                   std::vector<float> xs, bool in_place, const std::string& what) {
  const int64_t n = rows * stride;
  const std::vector<float> sentinel(static_cast<size_t>(n), -777.0f);
  Pair x = upload(n, DType::kF32, xs.data()), y = upload(n, DType::kF32, sentinel.data());
  Pair& out = in_place ? x : y;
  auto v = [&](const Tensor& t) { return view(t, Shape{rows, cols}, {stride, 1}); };
  const Status st = softmax(ctx, v(x.dev), v(out.dev));
  ASSERT_TRUE(st.is_ok()) << what << ": " << st.to_string();
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
  ASSERT_TRUE(ref::softmax(v(x.host), v(out.host)).is_ok());
  std::vector<char> want(out.host.nbytes());
  std::memcpy(want.data(), out.host.as<char>(), want.size());
  expect_close(want, download(out.dev), kSoftmaxTol, what);
}

TEST_F(CudaOpsMore, SoftmaxMatchesReference) {
  struct C { int64_t rows, cols, stride; };
  const C cases[] = {{1, 1, 1},      {1, 3, 3},       {1, 17, 17},   {1, 4097, 4097}, {1, 4096, 4096},
                     {7, 3, 3},      {3, 33, 33},     {5, 33, 40},   {6, 64, 72},     {1, 100000, 100000},
                     {3, 50001, 50001}, {2, 131072, 131072}, {70000, 4, 4}};
  for (const C& c : cases)
    for (bool in_place : {false, true})
      check_softmax(ctx_, c.rows, c.cols, c.stride, random_floats(c.rows * c.stride, 5, -8, 8), in_place,
                    "softmax " + std::to_string(c.rows) + "x" + std::to_string(c.cols) + " stride " +
                        std::to_string(c.stride) + (in_place ? " in place" : ""));
}

// Row 0: values near 1000 (exp would overflow without the max shift). Row 1: masked with
// -inf except 3 entries. Row 2: all -inf gives NaN, as on the CPU.
TEST_F(CudaOpsMore, SoftmaxShiftedMaskedAndEmptyRows) {
  const int64_t cols = 1000;
  std::vector<float> xs = random_floats(3 * cols, 9, -3, 3);
  for (int64_t c = 0; c < cols; ++c) {
    xs[static_cast<size_t>(c)] += 1000.0f;
    if (c != 5 && c != 500 && c != 999) xs[static_cast<size_t>(cols + c)] = -INFINITY;
    xs[static_cast<size_t>(2 * cols + c)] = -INFINITY;
  }
  check_softmax(ctx_, 3, cols, cols, xs, false, "softmax shifted/masked/empty");
}

// ---- rope ---------------------------------------------------------------------------------

// The device forms the same double angles as the CPU rope and rotates with rounded products
// (no FMA), so most outputs are bit-identical. Differences: CUDA's double cos/sin (and pow
// for theta's frequencies above 128 pairs) are within 2 double ulps where glibc is within 1,
// so a cos/sin can land on the other side of an f32 rounding boundary: 1 f32 ulp (6e-8) of
// cos/sin times |x| <= 2 for the test data, on both products: 2.4e-7. atol 1e-6 bounds that
// with margin at every position, 100000 and 131071 included (angles are in double; an f32
// angle there would be off by up to 4e-3 rad, 1000x this tolerance). At most 1% of the
// elements may differ at all.
constexpr Tol kRopeTol{1e-6, 0.0};

struct RopeCase {
  int64_t n_tokens, n_heads, head_dim, head_stride, token_stride;  // strides of x and y
  int64_t rotary_dim, offset;
  bool given_freq, device_pos;
};

void check_rope(const OpContext& ctx, const RopeCase& c, RopeLayout layout, bool in_place) {
  const std::string what = "rope " + std::to_string(c.n_tokens) + "x" + std::to_string(c.n_heads) + "x" +
                           std::to_string(c.head_dim) + " rot " + std::to_string(c.rotary_dim) + " pos " +
                           std::to_string(c.offset) + (layout == RopeLayout::kNeox ? " neox" : " interleaved") +
                           (c.given_freq ? " inv_freq" : "") + (c.device_pos ? " device_position" : "") +
                           (in_place ? " in place" : "");
  const int64_t n = c.n_tokens * c.token_stride;
  const std::vector<float> xs = random_floats(n, 21, -2, 2), sentinel(static_cast<size_t>(n), -777.0f);
  Pair x = upload(n, DType::kF32, xs.data()), y = upload(n, DType::kF32, sentinel.data());
  Pair& out = in_place ? x : y;
  const int32_t pos32 = static_cast<int32_t>(c.offset);
  Pair pos = upload(1, DType::kI32, &pos32);
  std::vector<float> freqs(static_cast<size_t>(c.rotary_dim ? c.rotary_dim : c.head_dim) / 2);
  for (size_t i = 0; i < freqs.size(); ++i) freqs[i] = 0.9f / static_cast<float>(1 + i * i);
  RopeParams p;
  p.theta = 500000.0f;
  p.layout = layout;
  p.rotary_dim = c.rotary_dim;
  p.inv_freq = c.given_freq ? freqs.data() : nullptr;
  p.position_offset = c.device_pos ? 0 : c.offset;
  p.device_position = c.device_pos ? pos.dev.as<int32_t>() : nullptr;
  auto v = [&](const Tensor& t) {
    return view(t, Shape{c.n_tokens, c.n_heads, c.head_dim}, {c.token_stride, c.head_stride, 1});
  };
  const Status st = rope(ctx, v(x.dev), p, v(out.dev));
  ASSERT_TRUE(st.is_ok()) << what << ": " << st.to_string();
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
  RopeParams cpu_p = p;
  cpu_p.device_position = nullptr;
  cpu_p.position_offset = c.offset;
  ASSERT_TRUE(rope(OpContext{}, v(x.host), cpu_p, v(out.host)).is_ok());
  std::vector<char> want(out.host.nbytes());
  std::memcpy(want.data(), out.host.as<char>(), want.size());
  const std::vector<char> got = download(out.dev);
  expect_close(want, got, kRopeTol, what);
  size_t differ = 0;
  for (size_t i = 0; i + 4 <= got.size(); i += 4) differ += std::memcmp(&want[i], &got[i], 4) != 0;
  EXPECT_LE(differ, got.size() / 4 / 100) << what << ": elements not bit-identical to the CPU rope";
}

TEST_F(CudaOpsMore, RopeMatchesCpu) {
  const RopeCase cases[] = {
      {1, 1, 2, 2, 2, 0, 0, false, false},              // smallest
      {1, 32, 128, 128, 32 * 128, 0, 100000, false, false},  // decode step, big position
      {5, 3, 18, 18, 54, 0, 17, false, false},           // odd pair count
      {7, 4, 64, 64, 256, 16, 131071, false, false},     // rotary_dim < head_dim
      {3, 2, 34, 40, 100, 0, 3, true, false},            // padded heads, inv_freq given
      {4, 2, 128, 128, 6 * 128, 64, 100000, true, true}, // slice of fused qkv, device_position
      {2, 8, 64, 64, 512, 0, 4095, false, true},         // device_position, whole head
      {3, 2, 300, 300, 600, 0, 99999, false, false},     // 150 pairs: theta's freqs on device
      {70000, 1, 4, 4, 4, 0, 0, false, false},           // > 65535 tokens: grid-stride
  };
  for (const RopeCase& c : cases)
    for (RopeLayout layout : {RopeLayout::kNeox, RopeLayout::kInterleaved})
      for (bool in_place : {false, true}) check_rope(ctx_, c, layout, in_place);
}

// ---- cast ---------------------------------------------------------------------------------

// Bit-exact against the CPU op (core/dtype.h) for every f16/bf16 pattern and 3M f32
// patterns covering every rounding boundary, NaN payloads and infinities included.
void check_cast_bits(const OpContext& ctx, const std::vector<uint32_t>& in, DType from, DType to,
                     int64_t rows, int64_t cols, int64_t x_stride, int64_t y_stride, int64_t offset) {
  const std::string what = std::string(dtype_name(from)) + " -> " + std::string(dtype_name(to)) + " " +
                           std::to_string(rows) + "x" + std::to_string(cols) + " strides " +
                           std::to_string(x_stride) + "/" + std::to_string(y_stride) + " offset " +
                           std::to_string(offset);
  const int64_t nx = offset + rows * x_stride, ny = offset + rows * y_stride;
  std::vector<char> xb(static_cast<size_t>(nx) * (from == DType::kF32 ? 4 : 2));
  for (int64_t i = 0; i < nx; ++i) {
    const uint32_t b = in[static_cast<size_t>(i) % in.size()];
    if (from == DType::kF32) std::memcpy(&xb[static_cast<size_t>(4 * i)], &b, 4);
    else { const uint16_t h = static_cast<uint16_t>(b); std::memcpy(&xb[static_cast<size_t>(2 * i)], &h, 2); }
  }
  const std::vector<char> sentinel(static_cast<size_t>(ny) * (to == DType::kF32 ? 4 : 2), 0x5a);
  Pair x = upload(nx, from, xb.data()), y = upload(ny, to, sentinel.data());
  auto xv = [&](const Tensor& t) { return view(t, Shape{rows, cols}, {x_stride, 1}, offset); };
  auto yv = [&](const Tensor& t) { return view(t, Shape{rows, cols}, {y_stride, 1}, offset); };
  const Status st = cast(ctx, xv(x.dev), yv(y.dev));
  ASSERT_TRUE(st.is_ok()) << what << ": " << st.to_string();
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr));
  ASSERT_TRUE(cast(OpContext{}, xv(x.host), yv(y.host)).is_ok());
  const std::vector<char> got = download(y.dev);
  const size_t es = to == DType::kF32 ? 4 : 2;
  for (size_t i = 0; i < got.size(); i += es) {
    if (std::memcmp(&got[i], y.host.as<char>() + i, es) != 0) {
      uint32_t g = 0, w = 0;
      std::memcpy(&g, &got[i], es);
      std::memcpy(&w, y.host.as<char>() + i, es);
      ADD_FAILURE() << what << ": element " << i / es << " is 0x" << std::hex << g << ", CPU 0x" << w;
      return;
    }
  }
}

TEST_F(CudaOpsMore, CastEveryPatternBitExact) {
  std::vector<uint32_t> all16(65536);
  for (uint32_t i = 0; i < all16.size(); ++i) all16[i] = i;
  std::vector<uint32_t> sweep;
  for (uint32_t i = 0; i < (1u << 20); ++i)
    for (uint32_t lo : {0u, 1u, 0xfffu}) sweep.push_back((i << 12) | lo);
  const int64_t n16 = 65536, n32 = static_cast<int64_t>(sweep.size());
  for (DType from : {DType::kF16, DType::kBF16})
    for (DType to : {DType::kF32, DType::kF16, DType::kBF16})
      check_cast_bits(ctx_, all16, from, to, 1, n16, n16, n16, 0);
  for (DType to : {DType::kF16, DType::kBF16, DType::kF32})
    check_cast_bits(ctx_, sweep, DType::kF32, to, 1, n32, n32, n32, 0);
}

// Layouts: dense (vector path or memcpy), odd widths and a misaligned start (scalar path),
// strided rows on either side (kernel even for the same dtype), a broadcast source row
// (x stride 0), more rows than gridDim.y covers at once.
TEST_F(CudaOpsMore, CastLayouts) {
  std::vector<uint32_t> vals;
  for (float f : {1.0f, -2.5f, 65504.0f, 1e-7f, 3.0e38f, 0.1f, -0.0f}) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    vals.push_back(b);
    vals.push_back(b >> 16);  // also a meaningful 16-bit pattern
  }
  vals.push_back(0x7fc00001u);
  struct L { int64_t rows, cols, xs, ys, offset; };
  const L layouts[] = {{1, 1, 1, 1, 0},     {1, 4097, 4097, 4097, 0}, {7, 3, 3, 3, 0},
                       {64, 256, 256, 256, 0}, {5, 33, 40, 33, 0},    {6, 64, 72, 68, 0},
                       {3, 64, 64, 64, 1},  {4, 8, 0, 12, 0},     {600000, 4, 4, 8, 0}};
  for (const L& l : layouts)
    for (DType from : {DType::kF32, DType::kF16, DType::kBF16})
      for (DType to : {DType::kF32, DType::kF16, DType::kBF16})
        check_cast_bits(ctx_, vals, from, to, l.rows, l.cols, l.xs, l.ys, l.offset);
}

}  // namespace

// Launcher argument checks: each returns cudaErrorInvalidValue (1) before any CUDA call, so
// these run without a device. Zero-sized work returns 0 and launches nothing.
TEST(CudaLaunchers, RejectBadArgumentsWithoutLaunching) {
  float buf[8] = {};
  kernels::RopeArgs r;
  r.x = buf;
  r.y = buf;
  r.n_tokens = 1, r.n_heads = 1, r.head_dim = 4, r.rotary_dim = 3;  // odd
  r.x_token_stride = r.y_token_stride = 4, r.x_head_stride = r.y_head_stride = 4;
  EXPECT_EQ(kernels::rope_f32(r, nullptr), 1);
  r.rotary_dim = 6;  // > head_dim
  EXPECT_EQ(kernels::rope_f32(r, nullptr), 1);
  r.rotary_dim = 4;
  r.theta = 0.0f;
  EXPECT_EQ(kernels::rope_f32(r, nullptr), 1);
  r.theta = 10000.0f;
  r.position_offset = -1;
  EXPECT_EQ(kernels::rope_f32(r, nullptr), 1);
  r.position_offset = 0;
  std::vector<float> freqs(200, 1.0f);
  r.head_dim = r.rotary_dim = 400;  // 200 given frequencies do not fit the kernel arguments
  r.inv_freq = freqs.data();
  EXPECT_EQ(kernels::rope_f32(r, nullptr), 1);
  r.n_tokens = 0;  // no work: nothing is checked or launched
  EXPECT_EQ(kernels::rope_f32(r, nullptr), 0);
  EXPECT_EQ(kernels::softmax_f32(buf, buf, -1, 4, 4, 4, nullptr), 1);
  EXPECT_EQ(kernels::softmax_f32(nullptr, buf, 1, 4, 4, 4, nullptr), 1);
  EXPECT_EQ(kernels::softmax_f32(buf, buf, 0, 4, 4, 4, nullptr), 0);
  EXPECT_EQ(kernels::layer_norm_f32(buf, nullptr, nullptr, buf, 1, 4, 4, 4, 1e-5f, nullptr), 1);
  EXPECT_EQ(kernels::cast_rows(buf, static_cast<kernels::CastType>(7), buf, kernels::CastType::kF16,
                               1, 4, 4, 4, nullptr), 1);
  EXPECT_EQ(kernels::cast_rows(buf, kernels::CastType::kF32, buf, kernels::CastType::kF16, 1, 4, -4,
                               4, nullptr), 1);
}

// The op layer refuses before dispatch what the CUDA path cannot take.
TEST(CudaLaunchers, RopeOpLimits) {
  float buf[2 * 2 * 600] = {};
  TensorView x(buf, DType::kF32, Shape{2, 2, 600}, Device::cuda(0));
  std::vector<float> freqs(300, 1.0f);
  RopeParams p;
  p.inv_freq = freqs.data();  // 300 pairs > 128 by value
  EXPECT_EQ(rope(OpContext{}, x, p, x).code(), StatusCode::kUnsupported);
  int32_t pos = 0;
  p = RopeParams{};
  p.device_position = &pos;  // 300 pairs > 128: ops.h's limit for device_position
  EXPECT_EQ(rope(OpContext{}, x, p, x).code(), StatusCode::kInvalidArgument);
}

}  // namespace mistralrs

#else  // !MISTRALRS_HAS_CUDA

TEST(CudaOpsMore, SkippedWithoutCuda) {
  GTEST_SKIP() << "this build of libmistralrs has no CUDA (MISTRALRS_CUDA=OFF or nvcc/cuBLAS "
                  "not found); the CUDA op tests did not run";
}

#endif  // MISTRALRS_HAS_CUDA
