// Helpers for the op tests: tensors filled from a fixed seed, strided row views, and an
// allclose that reports the worst element (index, expected, actual, tolerance).
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ops/ops.h"

namespace mistralrs::test {

// |actual - expected| <= atol + rtol * |expected| (testing.md).
struct Tolerance {
  double atol;
  double rtol;
};
inline constexpr Tolerance kF32Tol{1e-5, 1e-5};

// A view that keeps its storage alive. Copies share the storage.
struct OwnedView {
  Tensor storage;
  TensorView view;
  operator const TensorView&() const { return view; }  // NOLINT: implicit by design
};

// Contiguous zero-filled tensor.
OwnedView make_tensor(Shape shape, DType dtype = DType::kF32);

// f32 view whose rows (last dim) are followed by `pad` unused elements, so every leading
// stride is non-contiguous. The padding is filled with a NaN sentinel to catch stray reads
// feeding results, and checked untouched by padding_intact().
OwnedView make_padded(Shape shape, int64_t pad);
bool padding_intact(const OwnedView& padded);

// Uniform values in [lo, hi) from std::mt19937(seed), written in logical order.
void fill_random(const TensorView& t, uint32_t seed, float lo = -1.0f, float hi = 1.0f);
// Writes `values` in logical (row-major) order; sizes must match.
void fill_values(const TensorView& t, const std::vector<float>& values);
// Reads an f32 view in logical order.
std::vector<float> to_vector(const TensorView& t);
// Contiguous copy of an f32 view (same shape).
OwnedView copy_of(const TensorView& t);

// Elementwise comparison of two f32 views of one shape; on failure names the worst element
// by its multi-index, with expected, actual, |diff| and the tolerance, and the count of
// failing elements. NaN matches NaN.
::testing::AssertionResult all_close(const TensorView& actual, const TensorView& expected,
                                     Tolerance tol = kF32Tol);
::testing::AssertionResult all_close(const TensorView& actual, const std::vector<float>& expected,
                                     Tolerance tol = kF32Tol);

// The edge shapes every row-wise op is run over: one row, sizes that are not a multiple of
// the 8- or 16-lane vector width (1, 3, 17, 33, 4097), rank 1 to 4, and shapes big enough
// that a 2-thread pool really splits the rows.
std::vector<Shape> edge_shapes();

using UnaryOp = std::function<Status(const OpContext&, const TensorView& x, const TensorView& y)>;
using UnaryRef = std::function<Status(const TensorView& x, const TensorView& y)>;

// For every shape x {contiguous, padded rows} x {out of place, in place} x {no pool,
// 2-thread pool}: fills x from a fixed seed with values in [lo, hi), runs op and ref, and
// expects all_close (and the padding of padded outputs untouched).
void expect_unary_matches_ref(const UnaryOp& op, const UnaryRef& ref, const std::vector<Shape>& shapes,
                              Tolerance tol = kF32Tol, float lo = -1.0f, float hi = 1.0f);

// A zero-filled contiguous tensor whose view claims to live on `device`: for the device
// checks, which must fail before any data is touched.
OwnedView make_on_device(Shape shape, Device device, DType dtype = DType::kF32);

}  // namespace mistralrs::test
