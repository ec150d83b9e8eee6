// Plain-loop references of the ops in ops/ops.h, used only by tests as the oracle for the
// fast paths. Written for obviousness, not speed: element-by-element indexing through
// every stride, accumulation and transcendental functions in double, each output row
// computed into a temporary before it is written (so y may alias x).
//
// They expect arguments the op would accept (f32 CPU views of matching shapes; cast: any
// f32/f16/bf16 pair) and do not
// re-validate them, except embedding, which reports an out-of-range id like the op does.
#pragma once
#include "ops/ops.h"

namespace mistralrs::ref {

Status rms_norm(const TensorView& x, const TensorView& weight, float eps, const TensorView& y);
Status layer_norm(const TensorView& x, const TensorView& weight, const TensorView& bias, float eps,
                  const TensorView& y);
Status rope(const TensorView& x, const RopeParams& params, const TensorView& y);
Status softmax(const TensorView& x, const TensorView& y);
Status silu(const TensorView& x, const TensorView& y);
Status silu_mul(const TensorView& gate, const TensorView& up, const TensorView& y);
// Rounds through the value in double (frexp-style exponent, nearbyint to nearest even,
// explicit overflow and subnormal ranges), not through core/dtype.h's bit tricks, so the op
// is checked against an independent derivation. NaN follows the documented policy: to f16
// 0x7e00 | sign; to bf16 the top 16 bits | 0x40; to f32 the payload shifted up.
Status cast(const TensorView& x, const TensorView& y);
Status gelu(const TensorView& x, GeluKind kind, const TensorView& y);
Status add(const TensorView& a, const TensorView& b, const TensorView& y);
Status mul(const TensorView& a, const TensorView& b, const TensorView& y);
Status embedding(const TensorView& table, const TensorView& ids, const TensorView& y);
Status attention(const TensorView& q, const TensorView& k, const TensorView& v,
                 const AttentionParams& params, const TensorView& out);

}  // namespace mistralrs::ref
