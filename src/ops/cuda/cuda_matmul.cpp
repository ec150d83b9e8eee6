// The CUDA side of matmul and embedding: raw pointers, sizes and strides for the launchers.
#ifdef MISTRALRS_HAS_CUDA

#include "ops/cuda/cuda_matmul.h"

#include <string>

#include "cuda_memory.h"
#include "embedding.h"
#include "matmul.h"
#include "ops/op_checks.h"

namespace mistralrs::cuda_ops {
namespace {

kernels::WeightFormat format_of(DType t) { return static_cast<kernels::WeightFormat>(static_cast<int32_t>(t)); }

// DType and WeightFormat share their numbering; a change to either must fail the build.
static_assert(static_cast<int32_t>(DType::kF32) == static_cast<int32_t>(kernels::WeightFormat::kF32));
static_assert(static_cast<int32_t>(DType::kF16) == static_cast<int32_t>(kernels::WeightFormat::kF16));
static_assert(static_cast<int32_t>(DType::kBF16) == static_cast<int32_t>(kernels::WeightFormat::kBF16));
static_assert(static_cast<int32_t>(DType::kQ8_0) == static_cast<int32_t>(kernels::WeightFormat::kQ8_0));
static_assert(static_cast<int32_t>(DType::kQ4_0) == static_cast<int32_t>(kernels::WeightFormat::kQ4_0));
static_assert(static_cast<int32_t>(DType::kQ4_K) == static_cast<int32_t>(kernels::WeightFormat::kQ4_K));
static_assert(static_cast<int32_t>(DType::kQ6_K) == static_cast<int32_t>(kernels::WeightFormat::kQ6_K));

int64_t rows_of(const TensorView& t) {
  int64_t rows = 1;
  for (int d = 0; d + 1 < t.rank(); ++d) rows *= t.dim(d);
  return rows;
}

}  // namespace

Status matmul(const OpContext& ctx, const TensorView& x, const TensorView& w, const TensorView& y,
              int64_t ldx, int64_t ldy, int64_t w_row_bytes) {
  kernels::MatmulLaunch a;
  a.x = x.as<const float>();
  a.ldx = ldx;
  a.w = w.data;
  a.w_row_bytes = w_row_bytes;
  a.w_format = format_of(w.dtype);
  a.y = y.as<float>();
  a.ldy = ldy;
  a.m = rows_of(x);
  a.n = w.dim(0);
  a.k = w.dim(1);
  int detail = 0;
  const int err = kernels::matmul(a, ctx.cuda_stream, &detail);
  if (err == 0) return Status::ok();
  std::string msg = "matmul of x " + x.describe() + " by w " + w.describe() + " on CUDA: " +
                    kernels::cuda_error_string(err);
  if (detail != 0) msg += std::string(" (cuBLASLt: ") + kernels::cublas_status_string(detail) + ")";
  if (err == 1)  // cudaErrorInvalidValue: a layout the launchers do not take
    msg += "; w rows " + std::to_string(w_row_bytes) + " bytes apart, ldx " + std::to_string(ldx) +
           ", ldy " + std::to_string(ldy);
  return cuda_error(msg);
}

Status embedding(const OpContext& ctx, const TensorView& table, const TensorView& ids,
                 const TensorView& y) {
  const int64_t dim = table.dim(1);
  const int64_t row_stride = table.dim(0) > 1 ? table.strides[0] : dim;
  const int64_t ldy = y.dim(0) > 1 ? y.strides[0] : dim;
  const int64_t ids_stride = ids.dim(0) > 1 ? ids.strides[0] : 1;
  const int err = kernels::embedding(table.data, dtype_bytes(table.dtype, row_stride),
                                     format_of(table.dtype), table.dim(0), dim, ids.as<const int32_t>(),
                                     ids_stride, ids.dim(0), y.as<float>(), ldy, ctx.cuda_stream);
  if (err == 0) return Status::ok();
  return cuda_error("embedding of table " + table.describe() + " on CUDA: " + kernels::cuda_error_string(err) +
                    " (" + op_checks::describe_layout(table) + ")");
}

}  // namespace mistralrs::cuda_ops

#endif  // MISTRALRS_HAS_CUDA
