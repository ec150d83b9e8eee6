// cached_attention and kv_write: validate the cache view, the rows and the ranges, then
// dispatch to the CPU loops or the CUDA launchers.
#include <cmath>
#include <string>

#include "ops/cpu/kv_cache_ops.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

#ifdef MISTRALRS_HAS_CUDA
#include "ops/cuda/cuda_attention.h"
#endif

namespace mistralrs {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

bool pool_dtype(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

// Pools [n_blocks, block_size, n_kv_heads, head_dim] of one dtype and shape, an optional i32
// table, one device. Sets *capacity to the positions the cache can address.
Status check_cache(const char* op, const KvCacheView& c, int64_t* capacity) {
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(op, "cache.k", c.k, 4));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(op, "cache.v", c.v, 4));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(op, "cache.k", c.k, "cache.v", c.v));
  if (c.k.dtype != c.v.dtype || !pool_dtype(c.k.dtype))
    return invalid_argument(std::string(op) + ": cache.k " + c.k.describe() + " and cache.v " +
                            c.v.describe() + " must share one dtype of f32, f16 or bf16");
  if (c.k.dim(1) <= 0 || c.k.dim(2) <= 0)
    return invalid_argument(std::string(op) + ": cache pools [n_blocks, block_size, n_kv_heads, "
                            "head_dim] need block_size > 0 and n_kv_heads > 0, got " + c.k.describe());
  const bool paged = c.block_table.data != nullptr;
  if (paged) {
    MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(op, "cache.block_table", c.block_table, DType::kI32));
    MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(op, "cache.block_table", c.block_table, 1));
  }
  *capacity = (paged ? c.block_table.dim(0) : c.k.dim(0)) * c.k.dim(1);
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_device(op, {&c.k, &c.v, &c.block_table}));
  if (c.n_kv < 0 || c.n_kv > *capacity)
    return invalid_argument(std::string(op) + ": cache.n_kv " + str(c.n_kv) + " must lie in [0, capacity " +
                            str(*capacity) + "] (capacity = " + (paged ? "n_table" : "n_blocks") +
                            " * block_size)");
  return Status::ok();
}

// CPU only (on CUDA the table is device memory): the entries that cover positions
// [begin, end) must name blocks of the pool.
Status check_table_entries(const char* op, const KvCacheView& c, int64_t begin, int64_t end) {
  if (c.block_table.data == nullptr || end <= begin) return Status::ok();
  const int64_t bs = c.k.dim(1), n_blocks = c.k.dim(0);
  const int32_t* table = c.block_table.as<const int32_t>();
  const int64_t stride = c.block_table.strides[0];
  for (int64_t b = begin / bs; b <= (end - 1) / bs; ++b) {
    const int64_t e = table[b * stride];
    if (e < 0 || e >= n_blocks)
      return invalid_argument(std::string(op) + ": cache.block_table[" + str(b) + "] = " + str(e) +
                              " is not a block of the pool (n_blocks " + str(n_blocks) + ")");
  }
  return Status::ok();
}

Status check_attention_args(const TensorView& q, const KvCacheView& c, const AttentionParams& p,
                            const TensorView& out) {
  constexpr const char* kOp = "cached_attention";
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "q", q, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "out", out, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "out", out));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(kOp, "q", q, "out", out));
  const int64_t n_heads = q.dim(1), n_kv_heads = c.k.dim(2);
  if (q.dim(2) != c.k.dim(3))
    return invalid_argument("cached_attention: q " + q.describe() + " and cache.k " + c.k.describe() +
                            " must have the same head_dim");
  if (n_heads % n_kv_heads != 0)
    return invalid_argument("cached_attention: n_heads " + str(n_heads) + " must be a multiple of "
                            "n_kv_heads " + str(n_kv_heads) + " (q " + q.describe() + ")");
  if (q.dim(0) > c.n_kv)
    return invalid_argument("cached_attention: the " + str(q.dim(0)) + " queries are the last "
                            "positions of the cache, so n_q must be <= cache.n_kv " + str(c.n_kv));
  if (!std::isfinite(p.scale))
    return invalid_argument("cached_attention: scale must be finite, got " + std::to_string(p.scale));
  if (p.sliding_window < 0)
    return invalid_argument("cached_attention: sliding_window must be >= 0, got " + str(p.sliding_window));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "out", out, "q", q));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "out", out, "cache.k", c.k));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "out", out, "cache.v", c.v));
  return op_checks::same_device(kOp, {&q, &out, &c.k});
}

Status check_write_args(const TensorView& k_new, const TensorView& v_new, const KvCacheView& c,
                        int64_t pos, const int32_t* device_pos, int64_t capacity) {
  constexpr const char* kOp = "kv_write";
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "k_new", k_new, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::row_view_of_rank(kOp, "v_new", v_new, 3));
  MISTRALRS_RETURN_IF_ERROR(op_checks::same_shape(kOp, "k_new", k_new, "v_new", v_new));
  for (const TensorView* t : {&k_new, &v_new})
    if (t->dtype != DType::kF32 && t->dtype != c.k.dtype)
      return invalid_argument("kv_write: rows " + t->describe() + " must be f32 or the pools' dtype (" +
                              c.k.describe() + ")");
  if (k_new.dim(1) != c.k.dim(2) || k_new.dim(2) != c.k.dim(3))
    return invalid_argument("kv_write: rows " + k_new.describe() + " must be [n, n_kv_heads, head_dim] "
                            "of the pools " + c.k.describe());
  if (pos < 0) return invalid_argument("kv_write: pos must be >= 0, got " + str(pos));
  const int64_t first = device_pos ? 0 : pos;  // with device_pos only n is checked here
  if (first + k_new.dim(0) > capacity)
    return invalid_argument("kv_write: positions [" + str(first) + ", " + str(first + k_new.dim(0)) +
                            ") exceed the cache capacity " + str(capacity));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "cache.k", c.k));
  MISTRALRS_RETURN_IF_ERROR(op_checks::output_view(kOp, "cache.v", c.v));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "cache.k", c.k, "cache.v", c.v));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "cache.k", c.k, "k_new", k_new));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "cache.k", c.k, "v_new", v_new));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "cache.v", c.v, "k_new", k_new));
  MISTRALRS_RETURN_IF_ERROR(op_checks::disjoint(kOp, "cache.v", c.v, "v_new", v_new));
  return op_checks::same_device(kOp, {&k_new, &v_new, &c.k});
}

}  // namespace

Status cached_attention(const OpContext& ctx, const TensorView& q, const KvCacheView& cache,
                        const AttentionParams& params, const TensorView& out) {
  constexpr const char* kOp = "cached_attention";
  int64_t capacity = 0;
  MISTRALRS_RETURN_IF_ERROR(check_cache(kOp, cache, &capacity));
  MISTRALRS_RETURN_IF_ERROR(check_attention_args(q, cache, params, out));
  if (q.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    return cuda_attention::cached_attention(ctx, q, cache, params, out);
#else
    return op_checks::cuda_not_built(kOp, q);
#endif
  }
  if (cache.device_n_kv != nullptr)
    return invalid_argument("cached_attention: device_n_kv is for CUDA caches only; got " + q.describe());
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "q", q, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(op_checks::dtype_is(kOp, "out", out, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(check_table_entries(kOp, cache, 0, cache.n_kv));
  return cpu::cached_attention(ctx, q, cache, params, out);
}

Status kv_write(const OpContext& ctx, const TensorView& k_new, const TensorView& v_new,
                const KvCacheView& cache, int64_t pos, const int32_t* device_pos) {
  constexpr const char* kOp = "kv_write";
  int64_t capacity = 0;
  MISTRALRS_RETURN_IF_ERROR(check_cache(kOp, cache, &capacity));
  MISTRALRS_RETURN_IF_ERROR(check_write_args(k_new, v_new, cache, pos, device_pos, capacity));
  if (k_new.device.is_cuda()) {
#ifdef MISTRALRS_HAS_CUDA
    return cuda_attention::kv_write(ctx, k_new, v_new, cache, pos, device_pos);
#else
    return op_checks::cuda_not_built(kOp, k_new);
#endif
  }
  if (device_pos != nullptr)
    return invalid_argument("kv_write: device_pos is for CUDA caches only; got " + k_new.describe());
  MISTRALRS_RETURN_IF_ERROR(check_table_entries(kOp, cache, pos, pos + k_new.dim(0)));
  return cpu::kv_write(ctx, k_new, v_new, cache, pos);
}

}  // namespace mistralrs
