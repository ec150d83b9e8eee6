// cast on CPU: element by element through core/dtype.h's conversions, so the result is
// bit-identical to them (the CUDA kernel is tested against this). f16 <-> bf16 goes through
// f32, which is exact on the way up, so only the final rounding happens.
#include <cstring>

#include "ops/cpu/cpu_ops.h"
#include "ops/cpu/rows.h"

namespace mistralrs::cpu {

namespace {

// Start of row r of t (leading dims unravelled row-major, as Rows does for f32).
char* row_bytes(const TensorView& t, int64_t r) {
  int64_t off = 0;
  for (int d = t.rank() - 2; d >= 0; --d) {
    off += (r % t.dim(d)) * t.strides[static_cast<size_t>(d)];
    r /= t.dim(d);
  }
  return static_cast<char*>(t.data) + t.byte_offset(off);
}

float load(DType t, const char* p, int64_t i) {
  uint16_t h;
  switch (t) {
    case DType::kF16:
      std::memcpy(&h, p + 2 * i, 2);
      return fp16_to_fp32(h);
    case DType::kBF16:
      std::memcpy(&h, p + 2 * i, 2);
      return bf16_to_fp32(h);
    default: {
      float f;
      std::memcpy(&f, p + 4 * i, 4);
      return f;
    }
  }
}

void store(DType t, char* p, int64_t i, float f) {
  uint16_t h;
  switch (t) {
    case DType::kF16:
      h = fp32_to_fp16(f);
      std::memcpy(p + 2 * i, &h, 2);
      return;
    case DType::kBF16:
      h = fp32_to_bf16(f);
      std::memcpy(p + 2 * i, &h, 2);
      return;
    default:
      std::memcpy(p + 4 * i, &f, 4);
  }
}

// One row, specialised on the types so the switches leave the loop.
template <DType kIn, DType kOut>
void convert_row(const char* x, char* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) store(kOut, y, i, load(kIn, x, i));
}

using RowFn = void (*)(const char*, char*, int64_t);

template <DType kIn>
RowFn row_fn_to(DType out) {
  if (out == DType::kF16) return convert_row<kIn, DType::kF16>;
  if (out == DType::kBF16) return convert_row<kIn, DType::kBF16>;
  return convert_row<kIn, DType::kF32>;
}

RowFn row_fn(DType in, DType out) {
  if (in == DType::kF16) return row_fn_to<DType::kF16>(out);
  if (in == DType::kBF16) return row_fn_to<DType::kBF16>(out);
  return row_fn_to<DType::kF32>(out);
}

int64_t rows_of(const TensorView& t) {
  int64_t n = 1;
  for (int d = 0; d + 1 < t.rank(); ++d) n *= t.dim(d);
  return n;
}

}  // namespace

// Same dtype: a row copy (NaN payloads untouched).
Status cast(const OpContext& ctx, const TensorView& x, const TensorView& y) {
  const int64_t n = x.dim(-1);
  if (n == 0 || x.numel() == 0) return Status::ok();
  const RowFn fn = row_fn(x.dtype, y.dtype);
  const bool copy = x.dtype == y.dtype;
  const size_t row_size = static_cast<size_t>(x.byte_offset(n));
  parallel_for(ctx.pool, rows_of(x), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      if (copy) {
        std::memcpy(row_bytes(y, r), row_bytes(x, r), row_size);
      } else {
        fn(row_bytes(x, r), row_bytes(y, r), n);
      }
    }
  }, min_rows_per_chunk(n));
  return Status::ok();
}

}  // namespace mistralrs::cpu
