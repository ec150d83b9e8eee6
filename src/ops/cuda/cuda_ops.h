// Bridges from the op layer to the CUDA launchers in kernels/: each takes views already
// validated by the op (same shapes, f32, contiguous rows, all on one CUDA device) and
// returns a Status carrying the CUDA error text on failure.
// Only compiled and called when MISTRALRS_HAS_CUDA is defined.
#pragma once
#include "ops/ops.h"

namespace mistralrs::cuda_ops {

Status rms_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight, float eps,
                const TensorView& y);
Status add(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);
Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);
Status silu(const OpContext& ctx, const TensorView& x, const TensorView& y);
Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y);
Status layer_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight,
                  const TensorView& bias, float eps, const TensorView& y);
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y);
Status silu_mul(const OpContext& ctx, const TensorView& gate, const TensorView& up,
                const TensorView& y);
// x, y: f32, f16 or bf16 (any pair).
Status cast(const OpContext& ctx, const TensorView& x, const TensorView& y);
// x, y: [n_tokens, n_heads, head_dim] with any token and head strides (no flattening).
// params.inv_freq (host) needs rotary_dim/2 <= 128; device_position is used when set.
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params,
            const TensorView& y);

}  // namespace mistralrs::cuda_ops
