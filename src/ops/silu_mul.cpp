// silu_mul (SwiGLU's product): validate, then dispatch to CPU or CUDA.
#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

// gate, up, y: f32, one shape; y may be gate or up exactly (in place), nothing else shared.
Status silu_mul(const OpContext& ctx, const TensorView& gate, const TensorView& up,
                const TensorView& y) {
  constexpr const char* kOp = "silu_mul";
  MISTRALRS_RETURN_IF_ERROR(op_checks::binary_rows(kOp, gate, up, y));
  // binary_rows also accepts a 1-D b broadcast over rows; silu_mul takes one shape only.
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(kOp, "gate", gate, "up", up));
  if (gate.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&gate, &up, &y}));
    return cuda_ops::silu_mul(ctx, gate, up, y);
#else
    return op_checks::cuda_not_built(kOp, gate);
#endif
  }
  return cpu::silu_mul(ctx, gate, up, y);
}

}  // namespace mistralrs
