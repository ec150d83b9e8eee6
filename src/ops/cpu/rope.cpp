// Rotary position embedding on CPU. Angles p * inv_freq are formed in double and their
// cos/sin taken in double, then rounded to f32: at p ~ 1e5 an f32 product would already be
// off by ~1e-2 rad. The cos/sin of one token are computed once and applied to all heads.
#include <cmath>
#include <vector>

#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/rows.h"

namespace mistralrs::cpu {

namespace {

// Rotates one head row in place or into y. cs: [half] cos followed by [half] sin.
void rotate_row(const float* x, float* y, const float* cs, int64_t half, int64_t head_dim,
                RopeLayout layout) {
  const float* c = cs;
  const float* s = cs + half;
  if (layout == RopeLayout::kNeox) {
    for (int64_t i = 0; i < half; ++i) {
      const float x0 = x[i], x1 = x[i + half];
      y[i] = x0 * c[i] - x1 * s[i];
      y[i + half] = x0 * s[i] + x1 * c[i];
    }
  } else {
    for (int64_t i = 0; i < half; ++i) {
      const float x0 = x[2 * i], x1 = x[2 * i + 1];
      y[2 * i] = x0 * c[i] - x1 * s[i];
      y[2 * i + 1] = x0 * s[i] + x1 * c[i];
    }
  }
  if (y != x)
    for (int64_t i = 2 * half; i < head_dim; ++i) y[i] = x[i];
}

}  // namespace

// x, y: [n_tokens, n_heads, head_dim], rows strided by strides[0] and strides[1].
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params, const TensorView& y) {
  const int64_t n_tokens = x.dim(0), n_heads = x.dim(1), head_dim = x.dim(2);
  const int64_t rot = params.rotary_dim ? params.rotary_dim : head_dim;
  const int64_t half = rot / 2;
  if (n_tokens == 0 || n_heads == 0 || head_dim == 0) return Status::ok();

  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i)
    inv_freq[static_cast<size_t>(i)] =
        params.inv_freq ? static_cast<double>(params.inv_freq[i])
                        : std::pow(static_cast<double>(params.theta), -2.0 * static_cast<double>(i) / static_cast<double>(rot));

  const float* xb = x.as<float>();
  float* yb = y.as<float>();
  const int64_t xs0 = x.strides[0], xs1 = x.strides[1], ys0 = y.strides[0], ys1 = y.strides[1];
  parallel_for(ctx.pool, n_tokens, [&](int64_t t0, int64_t t1) {
    std::vector<float> cs(static_cast<size_t>(2 * half));
    for (int64_t t = t0; t < t1; ++t) {
      const double pos = static_cast<double>(params.position_offset + t);
      for (int64_t i = 0; i < half; ++i) {
        const double angle = pos * inv_freq[static_cast<size_t>(i)];
        cs[static_cast<size_t>(i)] = static_cast<float>(std::cos(angle));
        cs[static_cast<size_t>(half + i)] = static_cast<float>(std::sin(angle));
      }
      for (int64_t h = 0; h < n_heads; ++h)
        rotate_row(xb + t * xs0 + h * xs1, yb + t * ys0 + h * ys1, cs.data(), half, head_dim,
                   params.layout);
    }
  }, min_rows_per_chunk(n_heads * head_dim));
  return Status::ok();
}

}  // namespace mistralrs::cpu
