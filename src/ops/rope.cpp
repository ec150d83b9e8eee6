// rope: validate, then dispatch to CPU or CUDA.
#include <cmath>

#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_ops.h"
#endif

namespace mistralrs {

namespace {

// ops.h's limit for device_position (kernels/rope_math.cuh's kRopeMaxFreqs).
constexpr int64_t kMaxDeviceFreqs = 128;

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

// device_position: CUDA only, and then the frequencies must fit the kernel arguments.
Status check_device_position(const RopeParams& p, const TensorView& x) {
  if (p.device_position == nullptr) return Status::ok();
  if (!x.device.is_cuda())
    return invalid_argument("rope: device_position is for CUDA tensors only; got " + x.describe());
  const int64_t rot = p.rotary_dim ? p.rotary_dim : x.dim(2);
  if (rot / 2 > kMaxDeviceFreqs)
    return invalid_argument("rope: with device_position rotary_dim/2 must be <= " +
                            std::to_string(kMaxDeviceFreqs) + ", got rotary_dim " +
                            std::to_string(rot));
  return Status::ok();
}

}  // namespace

// x, y: f32 [n_tokens, n_heads, head_dim]; y may be x.
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params, const TensorView& y) {
  constexpr const char* kOp = "rope";
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "x", x, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::unary_rows(kOp, x, y));
  MISTRALRS_RETURN_IF_ERROR(check_params(params, x.dim(2)));
  MISTRALRS_RETURN_IF_ERROR(check_device_position(params, x));
  if (x.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    return cuda_ops::rope(ctx, x, params, y);
#else
    return op_checks::cuda_not_built(kOp, x);
#endif
  }
  return cpu::rope(ctx, x, params, y);
}

}  // namespace mistralrs
