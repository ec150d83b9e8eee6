// The CUDA side of rms_norm, add, mul, silu and gelu: flattens the (already validated)
// views to [rows, cols] with one row stride each and calls the launchers in kernels/.
#ifdef MISTRALRS_HAS_CUDA

#include "ops/cuda/cuda_ops.h"

#include <string>

#include "cuda_memory.h"
#include "elementwise.h"
#include "ops/op_checks.h"
#include "rms_norm.h"

namespace mistralrs::cuda_ops {
namespace {

// A view as the launchers see it: [rows, cols], row r at data + r * stride.
struct Rows {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;
};

// Leading dims flatten to rows only when they step by one uniform stride (any view made by
// slicing rows of a contiguous tensor does; a slice across the middle dim of a 3-D tensor
// may not). The op layer has already required the last dim to be contiguous.
Expected<Rows> rows_of(const char* op, const char* name, const TensorView& t) {
  if (t.rank() < 1) return invalid_argument(std::string(op) + ": " + name + " has rank 0");
  Rows r;
  r.cols = t.dim(-1);
  r.rows = 1;
  for (int d = 0; d + 1 < t.rank(); ++d) r.rows *= t.dim(d);
  if (t.dim(-1) > 1 && t.strides[static_cast<size_t>(t.rank() - 1)] != 1)
    return invalid_argument(std::string(op) + ": " + name + " must be contiguous in its last dim: " +
                            op_checks::describe_layout(t));
  if (!op_checks::uniform_row_stride(t, &r.stride))
    return unsupported(std::string(op) + ": the CUDA path needs " + name +
                       "'s leading dims to flatten to rows with one stride, got " +
                       op_checks::describe_layout(t));
  return r;
}

Status launch_status(const char* op, const TensorView& t, int err) {
  if (err == 0) return Status::ok();
  return cuda_error(std::string(op) + " on " + t.describe() + ": " +
                    kernels::cuda_error_string(err));
}

using BinaryLauncher = int (*)(const float*, const float*, float*, int64_t, int64_t, int64_t,
                               int64_t, int64_t, void*);
using UnaryLauncher = int (*)(const float*, float*, int64_t, int64_t, int64_t, int64_t, void*);

// b has a's shape (b row stride from its layout) or is [cols] broadcast over rows (stride 0).
Status binary(const char* op, BinaryLauncher launch, const OpContext& ctx, const TensorView& a,
              const TensorView& b, const TensorView& y) {
  auto ra = rows_of(op, "a", a);
  if (!ra) return ra.status();
  auto ry = rows_of(op, "y", y);
  if (!ry) return ry.status();
  int64_t b_stride = 0;
  if (b.shape == a.shape) {
    auto rb = rows_of(op, "b", b);
    if (!rb) return rb.status();
    b_stride = rb.value().stride;
  } else if (b.rank() != 1 || b.dim(0) != a.dim(-1)) {
    return invalid_argument(std::string(op) + ": b " + b.describe() + " must have a's shape " +
                            a.describe() + " or be 1-D with its last dim");
  }
  const Rows& r = ra.value();
  const int err = launch(a.as<const float>(), b.as<const float>(), y.as<float>(), r.rows, r.cols,
                         r.stride, b_stride, ry.value().stride, ctx.cuda_stream);
  return launch_status(op, a, err);
}

Status unary(const char* op, UnaryLauncher launch, const OpContext& ctx, const TensorView& x,
             const TensorView& y) {
  auto rx = rows_of(op, "x", x);
  if (!rx) return rx.status();
  auto ry = rows_of(op, "y", y);
  if (!ry) return ry.status();
  const Rows& r = rx.value();
  const int err = launch(x.as<const float>(), y.as<float>(), r.rows, r.cols, r.stride,
                         ry.value().stride, ctx.cuda_stream);
  return launch_status(op, x, err);
}

}  // namespace

Status rms_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight, float eps,
                const TensorView& y) {
  auto rx = rows_of("rms_norm", "x", x);
  if (!rx) return rx.status();
  auto ry = rows_of("rms_norm", "y", y);
  if (!ry) return ry.status();
  const Rows& r = rx.value();
  const int err = kernels::rms_norm_f32(x.as<const float>(), weight.as<const float>(), y.as<float>(),
                                        r.rows, r.cols, r.stride, ry.value().stride, eps,
                                        ctx.cuda_stream);
  return launch_status("rms_norm", x, err);
}

Status add(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y) {
  return binary("add", kernels::add_f32, ctx, a, b, y);
}

Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y) {
  return binary("mul", kernels::mul_f32, ctx, a, b, y);
}

Status silu(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  return unary("silu", kernels::silu_f32, ctx, x, y);
}

Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y) {
  if (kind == GeluKind::kTanh) return unary("gelu", kernels::gelu_tanh_f32, ctx, x, y);
  return unary("gelu", kernels::gelu_erf_f32, ctx, x, y);
}

}  // namespace mistralrs::cuda_ops

#endif  // MISTRALRS_HAS_CUDA
