#include "common/op_test_util.h"

#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include "core/thread_pool.h"

namespace mistralrs::test {

namespace {

// Element offset of logical element `flat` (row-major over the shape).
int64_t elem_offset(const TensorView& t, int64_t flat) {
  int64_t off = 0;
  for (int d = t.rank() - 1; d >= 0; --d) {
    off += (flat % t.dim(d)) * t.strides[static_cast<size_t>(d)];
    flat /= t.dim(d);
  }
  return off;
}

std::string multi_index(const Shape& s, int64_t flat) {
  std::vector<int64_t> idx(static_cast<size_t>(s.rank));
  for (int d = s.rank - 1; d >= 0; --d) {
    idx[static_cast<size_t>(d)] = flat % s[d];
    flat /= s[d];
  }
  std::string out = "[";
  for (size_t i = 0; i < idx.size(); ++i) out += (i ? ", " : "") + std::to_string(idx[i]);
  return out + "]";
}

}  // namespace

OwnedView make_tensor(Shape shape, DType dtype) {
  auto t = Tensor::empty(shape, dtype);
  if (!t) ADD_FAILURE() << "allocation failed: " << t.status().to_string();
  OwnedView o{std::move(t.value()), {}};
  o.view = o.storage.view();
  return o;
}

OwnedView make_padded(Shape shape, int64_t pad) {
  Shape storage_shape = shape;
  storage_shape[shape.rank - 1] += pad;
  OwnedView o = make_tensor(storage_shape);
  float* p = o.storage.as<float>();
  for (int64_t i = 0; i < storage_shape.numel(); ++i) p[i] = std::numeric_limits<float>::quiet_NaN();
  o.view.shape = shape;  // strides stay those of the padded storage
  return o;
}

bool padding_intact(const OwnedView& padded) {
  const TensorView& v = padded.view;
  const int64_t cols = v.dim(-1), padded_cols = padded.storage.shape()[v.rank() - 1];
  const float* p = padded.storage.as<float>();
  for (int64_t i = 0; i < padded.storage.numel(); ++i)
    if (i % padded_cols >= cols && !std::isnan(p[i])) return false;
  return true;
}

void fill_random(const TensorView& t, uint32_t seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[elem_offset(t, i)] = dist(gen);
}

void fill_values(const TensorView& t, const std::vector<float>& values) {
  ASSERT_EQ(static_cast<int64_t>(values.size()), t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[elem_offset(t, i)] = values[static_cast<size_t>(i)];
}

std::vector<float> to_vector(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = t.as<float>()[elem_offset(t, i)];
  return out;
}

OwnedView copy_of(const TensorView& t) {
  OwnedView o = make_tensor(t.shape);
  fill_values(o.view, to_vector(t));
  return o;
}

::testing::AssertionResult all_close(const TensorView& actual, const std::vector<float>& expected,
                                     Tolerance tol) {
  if (static_cast<int64_t>(expected.size()) != actual.numel())
    return ::testing::AssertionFailure() << "size mismatch: actual " << actual.describe()
                                         << " vs " << expected.size() << " expected values";
  const std::vector<float> got = to_vector(actual);
  int64_t worst = -1, n_bad = 0;
  double worst_excess = 0;  // |diff| / allowed of the worst failing element
  for (size_t i = 0; i < got.size(); ++i) {
    const double a = got[i], e = expected[i];
    if (std::isnan(a) && std::isnan(e)) continue;
    const double allowed = tol.atol + tol.rtol * std::fabs(e);
    const double diff = std::fabs(a - e);
    if (diff <= allowed) continue;  // NaN diff fails here
    ++n_bad;
    const double excess = std::isnan(diff) ? INFINITY : diff / allowed;
    if (worst < 0 || excess > worst_excess) worst = static_cast<int64_t>(i), worst_excess = excess;
  }
  if (n_bad == 0) return ::testing::AssertionSuccess();
  const size_t w = static_cast<size_t>(worst);
  std::ostringstream msg;
  msg.precision(9);
  msg << n_bad << " of " << got.size() << " elements differ; worst at "
      << multi_index(actual.shape, worst) << ": expected " << expected[w] << ", actual " << got[w]
      << ", |diff| " << std::fabs(double(got[w]) - expected[w]) << " > tolerance "
      << tol.atol + tol.rtol * std::fabs(double(expected[w])) << " (atol " << tol.atol
      << ", rtol " << tol.rtol << ")";
  return ::testing::AssertionFailure() << msg.str();
}

::testing::AssertionResult all_close(const TensorView& actual, const TensorView& expected,
                                     Tolerance tol) {
  if (!(actual.shape == expected.shape))
    return ::testing::AssertionFailure() << "shape mismatch: actual " << actual.describe()
                                         << ", expected " << expected.describe();
  return all_close(actual, to_vector(expected), tol);
}

std::vector<Shape> edge_shapes() {
  return {Shape{1},       Shape{3},          Shape{17},        Shape{33},     Shape{4097},
          Shape{1, 1},    Shape{2, 3},       Shape{5, 17},     Shape{3, 33},  Shape{8, 4097},
          Shape{40, 1000}, Shape{3, 2, 33},  Shape{2, 2, 3, 17}};
}

void expect_unary_matches_ref(const UnaryOp& op, const UnaryRef& ref, const std::vector<Shape>& shapes,
                              Tolerance tol, float lo, float hi) {
  ThreadPool pool2(2);
  uint32_t seed = 1234;
  for (const Shape& shape : shapes)
    for (bool padded : {false, true})
      for (bool in_place : {false, true})
        for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
          SCOPED_TRACE("shape " + shape.to_string() + (padded ? " padded" : " contiguous") +
                       (in_place ? " in place" : "") + (pool ? " pool=2" : " no pool"));
          OwnedView x = padded ? make_padded(shape, 3) : make_tensor(shape);
          fill_random(x.view, seed++, lo, hi);
          OwnedView expected = make_tensor(shape);
          const Status rs = ref(x.view, expected.view);
          ASSERT_TRUE(rs.is_ok()) << rs.to_string();
          OwnedView y = in_place ? x : (padded ? make_padded(shape, 5) : make_tensor(shape));
          const Status st = op(OpContext{pool, nullptr}, x.view, y.view);
          ASSERT_TRUE(st.is_ok()) << st.to_string();
          EXPECT_TRUE(all_close(y.view, expected.view, tol));
          if (padded) EXPECT_TRUE(padding_intact(y));
        }
}

OwnedView make_on_device(Shape shape, Device device, DType dtype) {
  OwnedView o = make_tensor(shape, dtype);
  o.view.device = device;
  return o;
}

}  // namespace mistralrs::test
