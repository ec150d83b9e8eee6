// CPU implementations of the ops in ops/ops.h. Callers (src/ops/*.cpp) have validated the
// arguments: dtypes, shapes, CPU device, last dim contiguous, no partial aliasing. Work is
// split over rows (or over (query, head) for attention) with ctx.pool; null runs inline.
#pragma once
#include "ops/ops.h"

namespace mistralrs::cpu {

Status rms_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight, float eps,
                const TensorView& y);
Status layer_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight,
                  const TensorView& bias, float eps, const TensorView& y);
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params, const TensorView& y);
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y);
Status silu(const OpContext& ctx, const TensorView& x, const TensorView& y);
// y = silu(gate) * up; y may alias gate or up exactly.
Status silu_mul(const OpContext& ctx, const TensorView& gate, const TensorView& up,
                const TensorView& y);
// f32 / f16 / bf16 in any pair, through core/dtype.h's conversions (bit-exact to them).
Status cast(const OpContext& ctx, const TensorView& x, const TensorView& y);
Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y);
Status add(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);
Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);
// ids already range-checked.
Status embedding(const OpContext& ctx, const TensorView& table, const TensorView& ids,
                 const TensorView& y);
Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out);

}  // namespace mistralrs::cpu
