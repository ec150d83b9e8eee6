// softmax along the last dim: validate, then run on CPU (no CUDA path yet).
#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace mistralrs {

// x, y: f32 [..., n]; y may be x.
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  constexpr const char* kOp = "softmax";
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  if (x.device.is_cuda()) return op_checks::no_cuda_path(kOp, x);
  return cpu::softmax(ctx, x, y);
}

}  // namespace mistralrs
