// Argument checks shared by the ops in src/ops/*.cpp. Each returns kInvalidArgument with a
// message that starts with the op name and names the offending view via describe(), so a
// caller can tell which tensor was wrong without a debugger.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/status.h"
#include "core/tensor.h"

namespace mistralrs::op_checks {

// "x f32[2, 3]@cpu strides [3, 1]": describe() plus the strides, for layout errors.
std::string describe_layout(const TensorView& t);

// t.dtype == want.
Status dtype_is(const char* op, const char* name, const TensorView& t, DType want);

// A view the row-wise ops can read: rank 1..4, non-negative strides, last dim contiguous
// (stride 1 or size <= 1), data non-null unless empty. Leading dims may be strided.
Status row_view(const char* op, const char* name, const TensorView& t);

// row_view plus exact rank.
Status row_view_of_rank(const char* op, const char* name, const TensorView& t, int rank);

// An output view: row_view plus no two elements sharing memory (writes do not race).
Status output_view(const char* op, const char* name, const TensorView& t);

Status same_shape(const char* op, const char* a_name, const TensorView& a, const char* b_name,
                  const TensorView& b);

// All views on one device (empty views with null data are skipped: optional inputs).
Status same_device(const char* op, std::initializer_list<const TensorView*> views);

// y may be disjoint from x or be exactly x (same data, shape and strides: in place);
// any other overlap is rejected. Conservative: interleaved disjoint views count as overlap.
Status in_place_or_disjoint(const char* op, const char* y_name, const TensorView& y,
                            const char* x_name, const TensorView& x);

// y must not share any memory with x.
Status disjoint(const char* op, const char* y_name, const TensorView& y, const char* x_name,
                const TensorView& x);

// True when the leading dims of t collapse to [rows, cols] with one row stride (what the
// CUDA launchers take); *row_stride receives it (0 rows or 1 row: cols).
bool uniform_row_stride(const TensorView& t, int64_t* row_stride);

// The status for an op called on CUDA tensors that it has no CUDA path for.
Status no_cuda_path(const char* op, const TensorView& t);
// The status for CUDA tensors reaching a build without CUDA.
Status cuda_not_built(const char* op, const TensorView& t);
// kUnsupported unless every view's rows collapse to one row stride (CUDA launchers take
// [rows, cols] with a single stride).
Status cuda_rows(const char* op, std::initializer_list<const TensorView*> views);

// y = f(x) row-wise: x, y f32 with one shape, row views, y an output, in place or disjoint,
// one device.
Status unary_rows(const char* op, const TensorView& x, const TensorView& y);
// y = a (op) b: a, y as unary_rows; b f32 with a's shape or 1-D [a.dim(-1)] (broadcast);
// y may alias a or b exactly.
Status binary_rows(const char* op, const TensorView& a, const TensorView& b, const TensorView& y);

}  // namespace mistralrs::op_checks
