// embedding: validate, then run on the CPU (every id checked against the vocabulary) or on
// CUDA (ids are device memory and not read by the host: an out-of-range id gives a row of
// zeros, see src/ops/cuda/cuda_matmul.h).
#include "ops/cpu/cpu_ops.h"
#include "ops/cuda/cuda_matmul.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace mistralrs {

namespace {

constexpr const char* kOp = "embedding";

// table: [vocab, dim] of a weight dtype, rows contiguous, whole blocks.
Status check_table(const TensorView& table) {
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "table", table, 2));
  if (table.dtype == DType::kI32)
    return invalid_argument("embedding: table must be a weight dtype, got " + table.describe());
  const int64_t block = dtype_info(table.dtype).block_elems;
  if (!row_size_ok(table.dtype, table.dim(1)) || table.strides[0] % block != 0)
    return invalid_argument("embedding: table rows must be whole " +
                            std::string(dtype_name(table.dtype)) + " blocks: " +
                            op_checks::describe_layout(table));
  return Status::ok();
}

// Reads the ids (CPU memory): the first one outside [0, vocab) is an error.
Status check_ids_in_range(const TensorView& ids, int64_t vocab) {
  const int32_t* id = ids.as<int32_t>();
  for (int64_t t = 0; t < ids.dim(0); ++t) {
    const int32_t v = id[t * ids.strides[0]];
    if (v < 0 || v >= vocab)
      return invalid_argument("embedding: id " + std::to_string(v) + " at position " +
                              std::to_string(t) + " is outside the vocabulary [0, " +
                              std::to_string(vocab) + ")");
  }
  return Status::ok();
}

}  // namespace

// table: [vocab, dim]; ids: i32 [n_tokens]; y: f32 [n_tokens, dim].
Status embedding(const OpContext& ctx, const TensorView& table, const TensorView& ids,
                 const TensorView& y) {
  MISTRALRS_RETURN_IF_ERROR(check_table(table));
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "ids", ids, DType::kI32));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "ids", ids, 1));
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "y", y, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "y", y, 2));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "y", y));
  if (y.dim(0) != ids.dim(0) || y.dim(1) != table.dim(1))
    return invalid_argument("embedding: y " + y.describe() + " must be [n_tokens, dim] for ids " +
                            ids.describe() + " and table " + table.describe());
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "y", y, "table", table));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "y", y, "ids", ids));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(kOp, {&table, &ids, &y}));
  if (table.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    return cuda_ops::embedding(ctx, table, ids, y);
#else
    return op_checks::cuda_not_built(kOp, table);
#endif
  }
  MISTRALRS_RETURN_IF_ERROR(check_ids_in_range(ids, table.dim(0)));
  return cpu::embedding(ctx, table, ids, y);
}

}  // namespace mistralrs
