// rope: validate, then run on CPU (no CUDA path yet).
#include <cmath>

#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace mistralrs {

namespace {

Status check_params(const RopeParams& p, int64_t head_dim) {
  const int64_t rot = p.rotary_dim ? p.rotary_dim : head_dim;
  if (p.rotary_dim < 0 || rot > head_dim || rot % 2 != 0)
    return invalid_argument("rope: rotary_dim " + std::to_string(p.rotary_dim) +
                            " must be even and in [0, head_dim = " + std::to_string(head_dim) +
                            "] (0 = head_dim, which must then be even)");
  if (!p.inv_freq && (!std::isfinite(p.theta) || !(p.theta > 0.0f)))
    return invalid_argument("rope: theta must be finite and > 0, got " + std::to_string(p.theta));
  if (p.position_offset < 0)
    return invalid_argument("rope: position_offset must be >= 0, got " +
                            std::to_string(p.position_offset));
  if (p.layout != RopeLayout::kNeox && p.layout != RopeLayout::kInterleaved)
    return invalid_argument("rope: unknown layout " + std::to_string(static_cast<int>(p.layout)));
  return Status::ok();
}

}  // namespace

// x, y: f32 [n_tokens, n_heads, head_dim]; y may be x.
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params, const TensorView& y) {
  constexpr const char* kOp = "rope";
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "x", x, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  MISTRALRS_RETURN_IF_ERROR(check_params(params, x.dim(2)));
  if (x.device.is_cuda()) return op_checks::no_cuda_path(kOp, x);
  return cpu::rope(ctx, x, params, y);
}

}  // namespace mistralrs
