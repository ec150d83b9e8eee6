// layer_norm: validate, then dispatch to CPU or CUDA.
#include <cmath>

#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

namespace {

// weight (and bias when given): f32 [n], n = x's last dim, not overlapping y.
Status check_affine(const char* name, const TensorView& p, const TensorView& x, const TensorView& y) {
  constexpr const char* kOp = "layer_norm";
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, name, p, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, name, p, 1));
  if (p.dim(0) != x.dim(-1))
    return invalid_argument(std::string("layer_norm: ") + name + " " + p.describe() +
                            " must have x's last dim; x is " + x.describe());
  return op_checks::disjoint(kOp, "y", y, name, p);
}

}  // namespace

// x, y: f32 [..., n]; weight: f32 [n]; bias: f32 [n] or empty (data == nullptr).
Status layer_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight,
                  const TensorView& bias, float eps, const TensorView& y) {
  constexpr const char* kOp = "layer_norm";
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  MISTRALRS_RETURN_IF_ERROR(check_affine("weight", weight, x, y));
  const bool has_bias = bias.data != nullptr;
  if (has_bias) MISTRALRS_RETURN_IF_ERROR(check_affine("bias", bias, x, y));
  if (!(eps >= 0.0f) || !std::isfinite(eps))
    return invalid_argument("layer_norm: eps must be finite and >= 0, got " + std::to_string(eps));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(kOp, {&x, &weight, &bias, &y}));
  if (x.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&x, &y}));
    return cuda_ops::layer_norm(ctx, x, weight, bias, eps, y);
#else
    return op_checks::cuda_not_built(kOp, x);
#endif
  }
  return cpu::layer_norm(ctx, x, weight, bias, eps, y);
}

}  // namespace mistralrs
