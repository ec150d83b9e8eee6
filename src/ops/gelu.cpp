// gelu (erf or tanh form): validate, then dispatch to CPU or CUDA.
#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

// x, y: f32, one shape; y may be x.
Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y) {
  constexpr const char* kOp = "gelu";
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  if (kind != GeluKind::kErf && kind != GeluKind::kTanh)
    return invalid_argument("gelu: unknown GeluKind " + std::to_string(static_cast<int>(kind)));
  if (x.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&x, &y}));
    return cuda_ops::gelu(ctx, x, kind, y);
#else
    return op_checks::cuda_not_built(kOp, x);
#endif
  }
  return cpu::gelu(ctx, x, kind, y);
}

}  // namespace mistralrs
