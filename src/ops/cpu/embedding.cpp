// Embedding lookup on CPU: each output row is one table row converted to f32. Plain types
// are converted inline; block types go through dequantize_row (src/core/quant.h).
#include <cstring>

#include "core/quant.h"
#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/rows.h"

namespace mistralrs::cpu {

namespace {

void row_to_f32(DType type, const void* src, float* dst, int64_t n) {
  switch (type) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(s[i]);
      return;
    }
    case DType::kBF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(s[i]);
      return;
    }
    default:
      dequantize_row(type, src, dst, n);  // the op checked the type is a weight type
      return;
  }
}

}  // namespace

// table: [vocab, dim]; ids: i32 [n_tokens], every id in [0, vocab); y: f32 [n_tokens, dim].
Status embedding(const OpContext& ctx, const TensorView& table, const TensorView& ids,
                 const TensorView& y) {
  const int64_t n_tokens = ids.dim(0), dim = table.dim(1);
  if (n_tokens == 0 || dim == 0) return Status::ok();
  const int32_t* id = ids.as<int32_t>();
  const int64_t id_stride = ids.strides[0];
  const Rows yr(y);
  parallel_for(ctx.pool, n_tokens, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      row_to_f32(table.dtype, table.row(id[t * id_stride]), yr.row(t), dim);
  }, min_rows_per_chunk(dim));
  return Status::ok();
}

}  // namespace mistralrs::cpu
