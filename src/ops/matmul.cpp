// matmul: validate, then dispatch to the CPU kernels or, when every view is on a CUDA
// device, to the CUDA path (src/ops/cuda/cuda_matmul.h).
#include <string>

#include "ops/cpu/matmul_cpu.h"
#include "ops/cuda/cuda_matmul.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace mistralrs {

namespace {

constexpr const char* kOp = "matmul";

bool is_weight_type(DType t) { return t != DType::kI32; }

int64_t leading_rows(const TensorView& t) {
  int64_t rows = 1;
  for (int d = 0; d + 1 < t.rank(); ++d) rows *= t.dim(d);
  return rows;
}

// x[..., k] and y[..., n] against w[n, k]: dims, block alignment of k, row counts.
Status check_shapes(const TensorView& x, const TensorView& w, const TensorView& y) {
  const int64_t n = w.dim(0), k = w.dim(1);
  if (x.dim(-1) != k)
    return invalid_argument("matmul: x " + x.describe() + " has k = " + std::to_string(x.dim(-1)) +
                            " but w " + w.describe() + " has k = " + std::to_string(k) +
                            " (y[m, n] = x[m, k] * w[n, k]^T)");
  if (y.dim(-1) != n)
    return invalid_argument("matmul: y " + y.describe() + " must have n = " + std::to_string(n) +
                            " columns (w " + w.describe() + ")");
  if (leading_rows(x) != leading_rows(y))
    return invalid_argument("matmul: x " + x.describe() + " has " + std::to_string(leading_rows(x)) +
                            " rows but y " + y.describe() + " has " + std::to_string(leading_rows(y)));
  if (!row_size_ok(w.dtype, k))
    return invalid_argument("matmul: k = " + std::to_string(k) + " of w " + w.describe() +
                            " is not a whole number of " + std::string(dtype_name(w.dtype)) +
                            " blocks of " + std::to_string(dtype_info(w.dtype).block_elems));
  return Status::ok();
}

Status check_layouts(const TensorView& x, const TensorView& w, const TensorView& y, int64_t* ldx,
                     int64_t* ldy, int64_t* w_row_bytes) {
  if (!op_checks::uniform_row_stride(x, ldx))
    return invalid_argument("matmul: the leading dims of x must collapse to one row stride: " +
                            op_checks::describe_layout(x));
  if (!op_checks::uniform_row_stride(y, ldy))
    return invalid_argument("matmul: the leading dims of y must collapse to one row stride: " +
                            op_checks::describe_layout(y));
  const int64_t k = w.dim(1), w_stride = w.dim(0) > 1 ? w.strides[0] : k;
  if (w_stride < k || !row_size_ok(w.dtype, w_stride))
    return invalid_argument("matmul: rows of w must not overlap and must start on a block: " +
                            op_checks::describe_layout(w));
  *w_row_bytes = dtype_bytes(w.dtype, w_stride);
  return Status::ok();
}

}  // namespace

// y[m, n] = x[m, k] * w[n, k]^T; x, y f32 with any leading dims (flattened to m).
Status matmul(const OpContext& ctx, const TensorView& x, const TensorView& w, const TensorView& y) {
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "x", x, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "y", y, DType::kF32));
  if (!is_weight_type(w.dtype))
    return invalid_argument("matmul: w must be f32, f16, bf16, q8_0, q4_0, q4_k or q6_k, got " +
                            w.describe());
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view(kOp, "x", x));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "w", w, 2));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "y", y));
  MISTRALRS_RETURN_IF_ERROR(check_shapes(x, w, y));
  cpu::MatmulArgs a;
  MISTRALRS_RETURN_IF_ERROR(check_layouts(x, w, y, &a.ldx, &a.ldy, &a.w_row_bytes));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "y", y, "x", x));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "y", y, "w", w));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(kOp, {&x, &w, &y}));
  if (!x.device.is_cpu()) {
#ifdef MISTRALRS_HAS_CUDA
    return cuda_ops::matmul(ctx, x, w, y, a.ldx, a.ldy, a.w_row_bytes);
#else
    return op_checks::cuda_not_built(kOp, w);
#endif
  }
  a.x = x.as<const float>();
  a.w = w.data;
  a.w_type = w.dtype;
  a.y = y.as<float>();
  a.m = leading_rows(x);
  a.n = w.dim(0);
  a.k = w.dim(1);
  cpu::MatmulOptions opt;
  opt.dequantize_weights = ctx.exact_block_weights;
  return cpu::matmul(ctx.pool, a, opt);
}

}  // namespace mistralrs
