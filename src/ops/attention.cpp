// attention: validate shapes, grouped-query head counts and parameters, then run on the CPU
// (f32) or on CUDA (f16/bf16; the dtype, head_dim and layout checks of the kernels live in
// ops/cuda/cuda_attention.cpp).
#include <cmath>
#include <utility>

#include "ops/cpu/cpu_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_attention.h"
#endif

namespace mistralrs {

namespace {

constexpr const char* kOp = "attention";


// q: [n_q, n_heads, d]; k, v: [n_kv, n_kv_heads, d]; out: q's shape.
Status check_shapes(const TensorView& q, const TensorView& k, const TensorView& v,
                    const TensorView& out) {
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(kOp, "k", k, "v", v));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(kOp, "q", q, "out", out));
  if (k.dim(2) != q.dim(2))
    return invalid_argument("attention: k " + k.describe() + " and q " + q.describe() +
                            " must have the same head_dim");
  const int64_t n_heads = q.dim(1), n_kv_heads = k.dim(1);
  if (n_heads > 0 && (n_kv_heads == 0 || n_heads % n_kv_heads != 0))
    return invalid_argument("attention: n_heads " + std::to_string(n_heads) +
                            " must be a multiple of n_kv_heads " + std::to_string(n_kv_heads) +
                            " (q " + q.describe() + ", k " + k.describe() + ")");
  return Status::ok();
}

Status check_params(const AttentionParams& p) {
  if (!std::isfinite(p.scale))
    return invalid_argument("attention: scale must be finite, got " + std::to_string(p.scale));
  if (p.q_position < 0)
    return invalid_argument("attention: q_position must be >= 0, got " + std::to_string(p.q_position));
  if (p.sliding_window < 0)
    return invalid_argument("attention: sliding_window must be >= 0, got " +
                            std::to_string(p.sliding_window));
  return Status::ok();
}

}  // namespace

Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out) {
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "q", q, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "k", k, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "v", v, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "out", out, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "out", out));
  MISTRALRS_RETURN_IF_ERROR(check_shapes(q, k, v, out));
  MISTRALRS_RETURN_IF_ERROR(check_params(params));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "out", out, "q", q));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "out", out, "k", k));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "out", out, "v", v));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(kOp, {&q, &k, &v, &out}));
  if (q.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    return cuda_attention::attention(ctx, q, k, v, params, out);
#else
    return op_checks::cuda_not_built(kOp, q);
#endif
  }
  for (const auto& [name, t] : {std::pair{"q", &q}, {"k", &k}, {"v", &v}, {"out", &out}})
    MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, name, *t, DType::kF32));
  return cpu::attention(ctx, q, k, v, params, out);
}

}  // namespace mistralrs
