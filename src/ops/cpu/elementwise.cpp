// add and mul on CPU. Memory-bound: plain loops that the compiler vectorises, split over
// rows. b is either a's shape or one row [n] broadcast over every row of a.
#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/rows.h"

namespace mistralrs::cpu {

namespace {

template <class Fn>
void binary(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y,
            Fn fn) {
  const Rows ar(a), yr(y);
  const int64_t n = ar.cols();
  if (n == 0) return;
  const bool broadcast = b.rank() == 1 && a.rank() != 1;
  const Rows br(b);
  parallel_for(ctx.pool, ar.rows(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* ap = ar.row(r);
      const float* bp = broadcast ? br.row(0) : br.row(r);
      float* yp = yr.row(r);
      for (int64_t i = 0; i < n; ++i) yp[i] = fn(ap[i], bp[i]);
    }
  }, min_rows_per_chunk(n));
}

}  // namespace

Status add(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y) {
  binary(ctx, a, b, y, [](float u, float v) { return u + v; });
  return Status::ok();
}

Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y) {
  binary(ctx, a, b, y, [](float u, float v) { return u * v; });
  return Status::ok();
}

}  // namespace mistralrs::cpu
