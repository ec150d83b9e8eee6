// cast among f32, f16 and bf16: validate, then dispatch to CPU or CUDA.
#include <string>

#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

namespace {

Status castable(const char* name, const TensorView& t) {
  if (t.dtype == DType::kF32 || t.dtype == DType::kF16 || t.dtype == DType::kBF16)
    return Status::ok();
  return invalid_argument(std::string("cast: ") + name + " must be f32, f16 or bf16, got " +
                          t.describe());
}

}  // namespace

// x, y: one shape, row views (leading dims any stride, last dim contiguous); y an output
// view sharing no memory with x.
Status cast(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  constexpr const char* kOp = "cast";
  MISTRALRS_RETURN_IF_ERROR(castable("x", x));
  MISTRALRS_RETURN_IF_ERROR(castable("y", y));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view(kOp, "x", x));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "y", y));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(kOp, "x", x, "y", y));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "y", y, "x", x));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(kOp, {&x, &y}));
  if (x.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    MISTRALRS_RETURN_IF_ERROR(op_checks::cuda_rows(kOp, {&x, &y}));
    return cuda_ops::cast(ctx, x, y);
#else
    return op_checks::cuda_not_built(kOp, x);
#endif
  }
  return cpu::cast(ctx, x, y);
}

}  // namespace mistralrs
