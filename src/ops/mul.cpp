// mul (y = a * b, b broadcast over rows when 1-D): validate, then dispatch to CPU or CUDA.
#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

// a, y: f32 [..., n]; b: f32 a's shape or [n]; y may be a or b.
Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y) {
  constexpr const char* kOp = "mul";
  MISTRALRS_RETURN_IF_ERROR(op_checks::binary_rows(kOp, a, b, y));
  if (a.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&a, &b, &y}));
    return cuda_ops::mul(ctx, a, b, y);
#else
    return op_checks::cuda_not_built(kOp, a);
#endif
  }
  return cpu::mul(ctx, a, b, y);
}

}  // namespace mistralrs
