// softmax along the last dim: validate, then dispatch to CPU or CUDA.
#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

// x, y: f32 [..., n]; y may be x.
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  constexpr const char* kOp = "softmax";
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  if (x.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&x, &y}));
    return cuda_ops::softmax(ctx, x, y);
#else
    return op_checks::cuda_not_built(kOp, x);
#endif
  }
  return cpu::softmax(ctx, x, y);
}

}  // namespace mistralrs
