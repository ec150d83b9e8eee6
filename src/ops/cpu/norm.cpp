// rms_norm and layer_norm on CPU: one pass (rms) or two passes (layer norm: mean, then the
// variance about it, which avoids the cancellation of E[x^2] - E[x]^2) per row.
#include <cmath>

#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/rows.h"
#include "ops/cpu/vec.h"

namespace mistralrs::cpu {

// x, y: [rows, n]; weight: [n]. Sum of squares in f32 lanes, then x * rstd * w, the order
// HF Llama uses.
Status rms_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight, float eps,
                const TensorView& y) {
  const Rows xr(x), yr(y);
  const int64_t n = xr.cols();
  if (n == 0) return Status::ok();
  const float* w = weight.as<float>();
  const VecKernels& vk = vec_best();
  parallel_for(ctx.pool, xr.rows(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xp = xr.row(r);
      const float mean_sq = vk.sum_squares(xp, n) / static_cast<float>(n);
      vk.scale_mul(xp, 1.0f / std::sqrt(mean_sq + eps), w, yr.row(r), n);
    }
  }, min_rows_per_chunk(n));
  return Status::ok();
}

// x, y: [rows, n]; weight, bias: [n] (bias optional). Biased variance, as torch.
Status layer_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight,
                  const TensorView& bias, float eps, const TensorView& y) {
  const Rows xr(x), yr(y);
  const int64_t n = xr.cols();
  if (n == 0) return Status::ok();
  const float* w = weight.as<float>();
  const float* b = bias.as<float>();  // may be null
  const VecKernels& vk = vec_best();
  parallel_for(ctx.pool, xr.rows(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xp = xr.row(r);
      float* yp = yr.row(r);
      const float mean = vk.sum(xp, n) / static_cast<float>(n);
      const float var = vk.sum_sq_diff(xp, mean, n) / static_cast<float>(n);
      const float rstd = 1.0f / std::sqrt(var + eps);
      if (b) {
        for (int64_t i = 0; i < n; ++i) yp[i] = (xp[i] - mean) * rstd * w[i] + b[i];
      } else {
        for (int64_t i = 0; i < n; ++i) yp[i] = (xp[i] - mean) * rstd * w[i];
      }
    }
  }, min_rows_per_chunk(n));
  return Status::ok();
}

}  // namespace mistralrs::cpu
