// The CUDA side of the row-wise ops (rms_norm, layer_norm, softmax, add, mul, silu,
// silu_mul, gelu, cast): flattens the (already validated) views to [rows, cols] with one
// row stride each and calls the launchers in kernels/. rope keeps its 3-D strides.
#ifdef MISTRALRS_HAS_CUDA

#include "ops/cuda/cuda_ops.h"

#include <string>

#include "cast.h"
#include "cuda_memory.h"
#include "elementwise.h"
#include "layer_norm.h"
#include "ops/op_checks.h"
#include "rms_norm.h"
#include "rope.h"
#include "rope_math.cuh"
#include "softmax.h"

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

Expected<kernels::CastType> cast_type(const TensorView& t) {
  switch (t.dtype) {
    case DType::kF32: return kernels::CastType::kF32;
    case DType::kF16: return kernels::CastType::kF16;
    case DType::kBF16: return kernels::CastType::kBF16;
    default: return invalid_argument("cast: no CUDA cast for " + t.describe());
  }
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

Status layer_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight,
                  const TensorView& bias, float eps, const TensorView& y) {
  auto rx = rows_of("layer_norm", "x", x);
  if (!rx) return rx.status();
  auto ry = rows_of("layer_norm", "y", y);
  if (!ry) return ry.status();
  const Rows& r = rx.value();
  const float* b = bias.data != nullptr ? bias.as<const float>() : nullptr;
  const int err = kernels::layer_norm_f32(x.as<const float>(), weight.as<const float>(), b,
                                          y.as<float>(), r.rows, r.cols, r.stride,
                                          ry.value().stride, eps, ctx.cuda_stream);
  return launch_status("layer_norm", x, err);
}

Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  return unary("softmax", kernels::softmax_f32, ctx, x, y);
}

// up has gate's shape (checked by the op), so binary() takes up's own row stride.
Status silu_mul(const OpContext& ctx, const TensorView& gate, const TensorView& up,
                const TensorView& y) {
  return binary("silu_mul", kernels::silu_mul_f32, ctx, gate, up, y);
}

Status cast(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  auto rx = rows_of("cast", "x", x);
  if (!rx) return rx.status();
  auto ry = rows_of("cast", "y", y);
  if (!ry) return ry.status();
  auto tx = cast_type(x);
  if (!tx) return tx.status();
  auto ty = cast_type(y);
  if (!ty) return ty.status();
  const Rows& r = rx.value();
  const int err = kernels::cast_rows(x.data, tx.value(), y.data, ty.value(), r.rows, r.cols,
                                     r.stride, ry.value().stride, ctx.cuda_stream);
  return launch_status("cast", x, err);
}

Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params,
            const TensorView& y) {
  kernels::RopeArgs a;
  a.x = x.as<const float>();
  a.y = y.as<float>();
  a.n_tokens = x.dim(0);
  a.n_heads = x.dim(1);
  a.head_dim = x.dim(2);
  a.x_token_stride = x.strides[0];
  a.x_head_stride = x.strides[1];
  a.y_token_stride = y.strides[0];
  a.y_head_stride = y.strides[1];
  a.rotary_dim = params.rotary_dim != 0 ? params.rotary_dim : a.head_dim;
  a.neox = params.layout == RopeLayout::kNeox;
  a.theta = params.theta;
  a.inv_freq = params.inv_freq;
  a.position_offset = params.position_offset;
  a.device_position = params.device_position;
  if (params.inv_freq != nullptr && a.rotary_dim / 2 > kernels::kRopeMaxFreqs)
    return unsupported("rope: on CUDA, explicit inv_freq is limited to rotary_dim <= 256 (the "
                       "frequencies travel in the kernel arguments); got rotary_dim " +
                       std::to_string(a.rotary_dim));
  return launch_status("rope", x, kernels::rope_f32(a, ctx.cuda_stream));
}

}  // namespace mistralrs::cuda_ops

#endif  // MISTRALRS_HAS_CUDA
