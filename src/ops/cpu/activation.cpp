// softmax, silu, silu_mul and gelu on CPU, row by row. The exp-based ones go through the vec tables
// (a polynomial exp vectorises; libm's expf does not); gelu-erf stays on std::erf, which
// has no cheap vector form and is not on a hot path of the supported models.
#include <algorithm>
#include <cmath>

#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/rows.h"
#include "ops/cpu/vec.h"

namespace mistralrs::cpu {

namespace {

// Runs fn(x_row, y_row, n) over every row of x / y (same shapes) in parallel.
template <class Fn>
void for_each_row(const OpContext& ctx, const TensorView& x, const TensorView& y, const Fn& fn) {
  const Rows xr(x), yr(y);
  const int64_t n = xr.cols();
  if (n == 0) return;
  parallel_for(ctx.pool, xr.rows(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) fn(xr.row(r), yr.row(r), n);
  }, min_rows_per_chunk(n));
}

void gelu_erf_row(const float* x, float* y, int64_t n) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

}  // namespace

// y = exp(x - max) / sum: the max shift keeps exp in range; a row of all -inf gives NaN
// (as torch does).
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  const VecKernels& vk = vec_best();
  for_each_row(ctx, x, y, [&](const float* xp, float* yp, int64_t n) {
    const float m = vk.max(xp, n);
    const float s = vk.exp_shift_sum(xp, m, yp, n);
    vk.scale(yp, 1.0f / s, yp, n);
  });
  return Status::ok();
}

Status silu(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  const VecKernels& vk = vec_best();
  for_each_row(ctx, x, y, [&](const float* xp, float* yp, int64_t n) { vk.silu(xp, yp, n); });
  return Status::ok();
}

// silu(gate) into a stack buffer through the vector kernel, then times up, one chunk at a
// time: every element of gate and up is read before y's element is written, so y may be
// either input.
Status silu_mul(const OpContext& ctx, const TensorView& gate, const TensorView& up,
                const TensorView& y) {
  constexpr int64_t kChunk = 256;
  const VecKernels& vk = vec_best();
  const Rows gr(gate), ur(up), yr(y);
  const int64_t n = gr.cols();
  if (n == 0) return Status::ok();
  parallel_for(ctx.pool, gr.rows(), [&](int64_t r0, int64_t r1) {
    float s[kChunk];
    for (int64_t r = r0; r < r1; ++r) {
      const float* g = gr.row(r);
      const float* u = ur.row(r);
      float* out = yr.row(r);
      for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t len = std::min(kChunk, n - c0);
        vk.silu(g + c0, s, len);
        for (int64_t i = 0; i < len; ++i) out[c0 + i] = s[i] * u[c0 + i];
      }
    }
  }, min_rows_per_chunk(n));
  return Status::ok();
}

Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y) {
  const VecKernels& vk = vec_best();
  if (kind == GeluKind::kTanh)
    for_each_row(ctx, x, y, [&](const float* xp, float* yp, int64_t n) { vk.gelu_tanh(xp, yp, n); });
  else
    for_each_row(ctx, x, y, gelu_erf_row);
  return Status::ok();
}

}  // namespace mistralrs::cpu
