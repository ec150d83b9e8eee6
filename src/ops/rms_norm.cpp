// rms_norm: validate, then dispatch to CPU or CUDA.
#include <cmath>

#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

// x, y: f32 [..., n]; weight: f32 [n].
Status rms_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight, float eps,
                const TensorView& y) {
  constexpr const char* kOp = "rms_norm";
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "weight", weight, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "weight", weight, 1));
  if (weight.dim(0) != x.dim(-1))
    return invalid_argument("rms_norm: weight " + weight.describe() + " must have x's last dim; x is " +
                            x.describe());
  if (!(eps >= 0.0f) || !std::isfinite(eps))
    return invalid_argument("rms_norm: eps must be finite and >= 0, got " + std::to_string(eps));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "y", y, "weight", weight));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(kOp, {&x, &weight, &y}));
  if (x.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&x, &y}));
    return cuda_ops::rms_norm(ctx, x, weight, eps, y);
#else
    return op_checks::cuda_not_built(kOp, x);
#endif
  }
  return cpu::rms_norm(ctx, x, weight, eps, y);
}

}  // namespace mistralrs
