// The CUDA ops (rms_norm, layer_norm, add, mul, silu, silu_mul, gelu, softmax) against the CPU reference in
// src/ops/cpu/reference.h: the same inputs and the same (possibly strided) layouts on both
// sides, run through the op layer so that dispatch is covered too. Skipped, with the
// reason, when the build has no CUDA or no device is present.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iomanip>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "core/tensor.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "common/cuda_test_util.h"
#include "cuda_memory.h"
#include "ops/cpu/reference.h"
#include "ops/cuda/cuda_ops.h"

namespace mistralrs {
namespace {

class CudaOps : public ::testing::Test {
 protected:
  void SetUp() override {
    MISTRALRS_SKIP_WITHOUT_CUDA("the CUDA op tests");
  }
  OpContext ctx_;  // default stream; the op layer's CUDA path ignores the pool
};

struct Tol {
  double atol, rtol;
};
// Norms: f32 sums on the device against the reference; error grows like sqrt(cols) ulps,
// about 4e-6 relative at 4097 columns, inside the house f32 bound.
constexpr Tol kNormTol{1e-5, 1e-5};
constexpr Tol kAddMulTol{1e-5, 1e-5};  // one rounding on each side: exact in practice
// Activations: device expf/erfcf/tanhf are within 2 ulp, so the relative part is what
// matters. The absolute part covers the negative tail, where 1 + tanh(z) (and 1 + erf(z) if
// the reference forms it) cancels: an error of ~1 ulp of 1 (6e-8) times |x|/2 <= 2 for
// inputs in [-4, 4], i.e. <= 1.2e-7. 1e-6 keeps a margin and is still 10x tighter than the
// default, which would hide a wrong tail entirely (gelu(-4) is only -1.3e-4).
constexpr Tol kActTol{1e-6, 1e-5};

// Where a view lives in its buffer: `rows` rows of `cols` floats, `stride` floats apart,
// starting `offset` floats in. lead > 0 presents the rows as [lead, rows / lead, cols];
// lead == -1 as a 1-D [cols] view (weights, broadcast operands).
struct Layout {
  int64_t rows, cols, stride, offset;
  int lead = 0;
};

struct Case {
  const char* name;
  Layout x;
  int64_t y_stride;  // y: the same rows and cols at its own stride (offset as x)
};

// Edge shapes: one row, widths that are not a multiple of 4 (scalar path) or are (float4
// path), a long row past one block's worth of threads, strided rows into dense or strided
// output, a row start that is not 16-byte aligned, three dims, and no rows at all.
const Case kCases[] = {
    {"1x1", {1, 1, 1, 0}, 1},
    {"1x3", {1, 3, 3, 0}, 3},
    {"1x17", {1, 17, 17, 0}, 17},
    {"1x33", {1, 33, 33, 0}, 33},
    {"1x4097", {1, 4097, 4097, 0}, 4097},
    {"1x4096", {1, 4096, 4096, 0}, 4096},
    {"7x3", {7, 3, 3, 0}, 3},
    {"5x17", {5, 17, 17, 0}, 17},
    {"3x33", {3, 33, 33, 0}, 33},
    {"2x4097", {2, 4097, 4097, 0}, 4097},
    {"64x256", {64, 256, 256, 0}, 256},
    {"strided 5x33 stride 40", {5, 33, 40, 0}, 33},
    {"strided 6x64 stride 72 into stride 68", {6, 64, 72, 0}, 68},
    {"misaligned 3x64 offset 1", {3, 64, 64, 1}, 64},
    {"3-D 2x3x20", {6, 20, 20, 0, 2}, 20},
    {"0x17", {0, 17, 17, 0}, 17},
};

int64_t storage_floats(const Layout& l) { return l.offset + std::max<int64_t>(l.rows * l.stride, 1); }

TensorView view_of(const Tensor& t, const Layout& l) {
  float* p = t.as<float>() + l.offset;
  TensorView v(p, DType::kF32, Shape{l.rows, l.cols}, t.device());
  v.strides[0] = l.stride;
  if (l.lead == -1) {
    v = TensorView(p, DType::kF32, Shape{l.cols}, t.device());
  } else if (l.lead > 0) {
    const int64_t inner = l.rows / l.lead;
    v = TensorView(p, DType::kF32, Shape{l.lead, inner, l.cols}, t.device());
    v.strides[0] = inner * l.stride;
    v.strides[1] = l.stride;
  }
  return v;
}

// A host buffer and a device buffer with the same contents; views of either take `layout`.
// seed == 0 fills with a sentinel so that writes outside the view show up.
struct Buf {
  Layout layout;
  Tensor host, dev;
  TensorView host_view() const { return view_of(host, layout); }
  TensorView dev_view() const { return view_of(dev, layout); }
};

void make_buf(const Layout& l, uint32_t seed, Buf* out) {
  const Shape flat{storage_floats(l)};
  auto h = Tensor::empty(flat, DType::kF32);
  ASSERT_TRUE(h) << h.status().to_string();
  auto d = Tensor::empty(flat, DType::kF32, Device::cuda(0));
  ASSERT_TRUE(d) << d.status().to_string();
  float* p = h.value().as<float>();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  for (int64_t i = 0; i < flat[0]; ++i) p[i] = seed == 0 ? -777.0f : dist(rng);
  ASSERT_EQ(0, kernels::cuda_memcpy_h2d(d.value().as<float>(), p, h.value().nbytes()));
  *out = Buf{l, std::move(h.value()), std::move(d.value())};
}

std::vector<float> download(const Tensor& dev) {
  std::vector<float> h(static_cast<size_t>(dev.numel()));
  const int err = kernels::cuda_memcpy_d2h(h.data(), dev.as<float>(), dev.nbytes());
  EXPECT_EQ(err, 0) << kernels::cuda_error_string(err);
  return h;
}

// Inside the view: |got - want| <= atol + rtol |want|. Outside: bit-identical, since neither
// side may write there. Reports the worst element by its (row, col).
void expect_close(const float* want, const std::vector<float>& got, const Layout& l, Tol tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), static_cast<size_t>(storage_floats(l)));
  std::vector<bool> inside(got.size(), false);
  double worst_excess = 0.0;
  int64_t worst_r = -1, worst_c = -1, n_bad = 0;
  for (int64_t r = 0; r < l.rows; ++r) {
    for (int64_t c = 0; c < l.cols; ++c) {
      const size_t i = static_cast<size_t>(l.offset + r * l.stride + c);
      inside[i] = true;
      const double e = want[i], a = got[i];
      const double bound = tol.atol + tol.rtol * std::fabs(e);
      const double err = std::isnan(e) && std::isnan(a) ? 0.0 : std::fabs(a - e);
      if (!(err <= bound)) {
        ++n_bad;
        const double excess = std::isnan(err) ? INFINITY : err / bound;
        if (worst_r < 0 || excess > worst_excess) worst_excess = excess, worst_r = r, worst_c = c;
      }
    }
  }
  if (n_bad > 0) {
    const size_t i = static_cast<size_t>(l.offset + worst_r * l.stride + worst_c);
    ADD_FAILURE() << std::setprecision(9) << what << ": " << n_bad << " elements out of tolerance; worst at (row "
                  << worst_r << ", col " << worst_c << "): expected " << want[i] << ", actual "
                  << got[i] << ", |diff| " << std::fabs(double{got[i]} - want[i]) << ", tol "
                  << tol.atol << " + " << tol.rtol << " * |expected| = "
                  << tol.atol + tol.rtol * std::fabs(double{want[i]});
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (inside[i]) continue;
    if (std::memcmp(&want[i], &got[i], sizeof(float)) != 0) {
      ADD_FAILURE() << what << ": wrote outside the view at storage index " << i << " (expected "
                    << want[i] << ", actual " << got[i] << ")";
      return;
    }
  }
}

enum class BKind { kNone, kSame, kRow };
// The op on (x, b, y) views; b is an empty view when unused.
using OpFn = std::function<Status(const TensorView&, const TensorView&, const TensorView&)>;

// Runs `device_op` on device views and `ref_op` on host views of the same data and layout,
// then compares y. in_place: y is x's own buffer.
void check_op(const Case& c, BKind bk, bool in_place, Tol tol, const OpFn& device_op,
              const OpFn& ref_op, const std::string& op_name) {
  const std::string what = op_name + " " + c.name + (in_place ? " in place" : "");
  Buf x, b, y;
  ASSERT_NO_FATAL_FAILURE(make_buf(c.x, 1, &x));
  if (bk == BKind::kSame) {
    ASSERT_NO_FATAL_FAILURE(make_buf(c.x, 2, &b));
  } else if (bk == BKind::kRow) {
    ASSERT_NO_FATAL_FAILURE(make_buf({1, c.x.cols, c.x.cols, 0, -1}, 3, &b));
  }
  Layout yl = c.x;
  yl.stride = c.y_stride;
  if (!in_place) {
    ASSERT_NO_FATAL_FAILURE(make_buf(yl, 0, &y));
  }
  const Buf& out = in_place ? x : y;
  const TensorView no_b;
  const Status ds = device_op(x.dev_view(), bk == BKind::kNone ? no_b : b.dev_view(), out.dev_view());
  ASSERT_TRUE(ds.is_ok()) << what << ": " << ds.to_string();
  ASSERT_EQ(0, kernels::cuda_synchronize(nullptr)) << what;
  const Status hs = ref_op(x.host_view(), bk == BKind::kNone ? no_b : b.host_view(), out.host_view());
  ASSERT_TRUE(hs.is_ok()) << what << " (reference): " << hs.to_string();
  expect_close(out.host.as<float>(), download(out.dev), out.layout, tol, what);
}

// Every case, out of place and in place (where the layouts allow y to be x).
void check_all(BKind bk, Tol tol, const OpFn& device_op, const OpFn& ref_op, const char* name) {
  for (const Case& c : kCases) {
    check_op(c, bk, false, tol, device_op, ref_op, name);
    if (c.y_stride == c.x.stride) check_op(c, bk, true, tol, device_op, ref_op, name);
  }
}

// The reference returns void or Status depending on the op; make it a Status.
template <class F>
Status as_status(F&& f) {
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    return Status::ok();
  } else {
    return Status(f());
  }
}

constexpr float kEps = 1e-5f;

TEST_F(CudaOps, RmsNormMatchesReference) {
  check_all(
      BKind::kRow, kNormTol,
      [&](const TensorView& x, const TensorView& w, const TensorView& y) {
        return rms_norm(ctx_, x, w, kEps, y);
      },
      [](const TensorView& x, const TensorView& w, const TensorView& y) {
        return as_status([&] { return ref::rms_norm(x, w, kEps, y); });
      },
      "rms_norm");
}

TEST_F(CudaOps, AddMatchesReference) {
  auto dev = [&](const TensorView& a, const TensorView& b, const TensorView& y) {
    return add(ctx_, a, b, y);
  };
  auto ref = [](const TensorView& a, const TensorView& b, const TensorView& y) {
    return as_status([&] { return ref::add(a, b, y); });
  };
  check_all(BKind::kSame, kAddMulTol, dev, ref, "add");
  check_all(BKind::kRow, kAddMulTol, dev, ref, "add broadcast");
}

TEST_F(CudaOps, MulMatchesReference) {
  auto dev = [&](const TensorView& a, const TensorView& b, const TensorView& y) {
    return mul(ctx_, a, b, y);
  };
  auto ref = [](const TensorView& a, const TensorView& b, const TensorView& y) {
    return as_status([&] { return ref::mul(a, b, y); });
  };
  check_all(BKind::kSame, kAddMulTol, dev, ref, "mul");
  check_all(BKind::kRow, kAddMulTol, dev, ref, "mul broadcast");
}

TEST_F(CudaOps, SiluMatchesReference) {
  check_all(
      BKind::kNone, kActTol,
      [&](const TensorView& x, const TensorView&, const TensorView& y) { return silu(ctx_, x, y); },
      [](const TensorView& x, const TensorView&, const TensorView& y) {
        return as_status([&] { return ref::silu(x, y); });
      },
      "silu");
}

// silu_mul: the silu tolerance (one more rounded product), out of place, in place on gate
// (check_all), and in place on up.
TEST_F(CudaOps, SiluMulMatchesReference) {
  auto dev = [&](const TensorView& g, const TensorView& u, const TensorView& y) {
    return silu_mul(ctx_, g, u, y);
  };
  auto ref = [](const TensorView& g, const TensorView& u, const TensorView& y) {
    return as_status([&] { return ref::silu_mul(g, u, y); });
  };
  check_all(BKind::kSame, kActTol, dev, ref, "silu_mul");
  auto dev_on_up = [&](const TensorView& u, const TensorView& g, const TensorView& y) {
    return silu_mul(ctx_, g, u, y);
  };
  auto ref_on_up = [](const TensorView& u, const TensorView& g, const TensorView& y) {
    return as_status([&] { return ref::silu_mul(g, u, y); });
  };
  for (const Case& c : kCases)
    if (c.y_stride == c.x.stride)
      check_op(c, BKind::kSame, true, kActTol, dev_on_up, ref_on_up, "silu_mul on up");
}

// Rows here are short (<= 4097); long rows, masks and shifts are in test_cuda_ops_more.cpp.
// expf within 2 ulp and a sum over <= 4097 terms: 1e-5 relative holds.
TEST_F(CudaOps, SoftmaxMatchesReference) {
  check_all(
      BKind::kNone, Tol{1e-30, 1e-5},
      [&](const TensorView& x, const TensorView&, const TensorView& y) { return softmax(ctx_, x, y); },
      [](const TensorView& x, const TensorView&, const TensorView& y) {
        return as_status([&] { return ref::softmax(x, y); });
      },
      "softmax");
}

// layer_norm without bias (with bias: test_cuda_ops_more.cpp).
TEST_F(CudaOps, LayerNormMatchesReference) {
  check_all(
      BKind::kRow, kNormTol,
      [&](const TensorView& x, const TensorView& w, const TensorView& y) {
        return layer_norm(ctx_, x, w, TensorView{}, kEps, y);
      },
      [](const TensorView& x, const TensorView& w, const TensorView& y) {
        return as_status([&] { return ref::layer_norm(x, w, TensorView{}, kEps, y); });
      },
      "layer_norm");
}

TEST_F(CudaOps, GeluMatchesReference) {
  for (GeluKind kind : {GeluKind::kErf, GeluKind::kTanh}) {
    check_all(
        BKind::kNone, kActTol,
        [&](const TensorView& x, const TensorView&, const TensorView& y) {
          return gelu(ctx_, x, kind, y);
        },
        [&](const TensorView& x, const TensorView&, const TensorView& y) {
          return as_status([&] { return ref::gelu(x, kind, y); });
        },
        kind == GeluKind::kErf ? "gelu erf" : "gelu tanh");
  }
}

TEST_F(CudaOps, EmptyTensorIsZeroFilled) {
  // Fill a first allocation with non-zero bytes and free it, so that a second allocation
  // that happened to reuse the memory would show stale data if it were not cleared.
  {
    Buf junk;
    ASSERT_NO_FATAL_FAILURE(make_buf({1, 3000, 3000, 0}, 7, &junk));
  }
  auto t = Tensor::empty({3, 1000}, DType::kF32, Device::cuda(0));
  ASSERT_TRUE(t) << t.status().to_string();
  EXPECT_TRUE(t.value().device().is_cuda());
  const std::vector<float> h = download(t.value());
  for (size_t i = 0; i < h.size(); ++i) ASSERT_EQ(h[i], 0.0f) << "element " << i;
  auto none = Tensor::empty({0, 4}, DType::kF32, Device::cuda(0));
  EXPECT_TRUE(none) << none.status().to_string();
}

TEST_F(CudaOps, BadArgumentsGiveAStatus) {
  Buf x, y, w;
  ASSERT_NO_FATAL_FAILURE(make_buf({4, 8, 8, 0}, 1, &x));
  ASSERT_NO_FATAL_FAILURE(make_buf({4, 8, 8, 0}, 0, &y));
  ASSERT_NO_FATAL_FAILURE(make_buf({1, 9, 9, 0, -1}, 2, &w));  // one too long
  Status s = add(ctx_, x.dev_view(), w.dev_view(), y.dev_view());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_FALSE(s.message().empty());
  s = rms_norm(ctx_, x.dev_view(), w.dev_view(), kEps, y.dev_view());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  TensorView as_int = x.dev_view();
  as_int.dtype = DType::kI32;
  s = silu(ctx_, as_int, y.dev_view());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  // Nothing was launched, so the device is still healthy.
  EXPECT_EQ(0, kernels::cuda_synchronize(nullptr));
}

TEST_F(CudaOps, RowsThatDoNotFlattenAreUnsupportedNotWrong) {
  // [2, 3, 8] taken from a [2, 4, 8] buffer: rows step 8 inside a block and 32 across
  // blocks, which one row stride cannot express. The bridge must refuse, not guess.
  Buf x, y;
  ASSERT_NO_FATAL_FAILURE(make_buf({8, 8, 8, 0}, 1, &x));
  ASSERT_NO_FATAL_FAILURE(make_buf({8, 8, 8, 0}, 0, &y));
  TensorView xv(x.dev.as<float>(), DType::kF32, Shape{2, 3, 8}, Device::cuda(0));
  xv.strides = {32, 8, 1, 0};
  TensorView yv = xv;
  yv.data = y.dev.as<float>();
  const Status s = cuda_ops::silu(ctx_, xv, yv);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
}

// With CUDA built in but no device, device allocation is an ordinary error.
TEST(CudaOpsNoDevice, AllocationIsAStatus) {
  int n = 0;
  if (kernels::cuda_device_count(&n) == 0 && n > 0)
    GTEST_SKIP() << "a CUDA device is present; covered by the CudaOps tests";
  auto t = Tensor::empty({16}, DType::kF32, Device::cuda(0));
  EXPECT_FALSE(t);
  EXPECT_EQ(t.status().code(), StatusCode::kCuda) << t.status().to_string();
}

}  // namespace
}  // namespace mistralrs

#else  // !MISTRALRS_HAS_CUDA

TEST(CudaOps, SkippedWithoutCuda) {
  GTEST_SKIP() << "this build of libmistralrs has no CUDA (MISTRALRS_CUDA=OFF or nvcc/cuBLAS "
                  "not found); the CUDA op tests did not run";
}

#endif  // MISTRALRS_HAS_CUDA
