// The CUDA side of attention, cached_attention and kv_write: turns validated views into the
// launchers' argument blocks (strides in elements, a dim of size 1 given stride 0 so that
// its arbitrary stride cannot fail an alignment check) and the launchers' error codes into
// a Status naming the op and the tensors.
#ifdef MISTRALRS_HAS_CUDA

#include "ops/cuda/cuda_attention.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "attention.h"
#include "cuda_memory.h"
#include "kv_write.h"
#include "ops/op_checks.h"

namespace mistralrs::cuda_attention {
namespace {

int64_t stride_of(const TensorView& t, int d) {
  return t.dim(d) > 1 ? t.strides[static_cast<size_t>(d)] : 0;
}

Status launch_status(const char* op, const TensorView& t, int err) {
  if (err == 0) return Status::ok();
  const std::string msg = std::string(op) + " on " + t.describe() + ": " + kernels::cuda_error_string(err);
  // The decode kernel's partials come from cudaMallocAsync: not fitting is out-of-memory.
  return kernels::cuda_is_out_of_memory(err) ? out_of_memory(msg) : cuda_error(msg);
}

Expected<kernels::AttnType> attn_type(const char* op, const TensorView& q) {
  if (q.dtype == DType::kF16) return kernels::AttnType::kF16;
  if (q.dtype == DType::kBF16) return kernels::AttnType::kBF16;
  if (q.dtype == DType::kF32)
    return unsupported(std::string(op) + ": no f32 attention on CUDA (q is " + q.describe() +
                       "); cast q and the keys and values to f16 or bf16");
  return invalid_argument(std::string(op) + ": q must be f16 or bf16 on CUDA, got " + q.describe());
}

// out f32 or q's dtype; head_dim one the kernels are built for.
Status check_out_and_dim(const char* op, const TensorView& q, const TensorView& out) {
  if (out.dtype != DType::kF32 && out.dtype != q.dtype)
    return invalid_argument(std::string(op) + ": out " + out.describe() + " must be f32 or q's dtype (q " +
                            q.describe() + ")");
  const int64_t d = q.dim(2);
  if (d != 64 && d != 128 && d != 256)
    return unsupported(std::string(op) + ": CUDA attention runs head_dim 64, 128 or 256, got " +
                       q.describe());
  return Status::ok();
}

// KvLayout has one set of strides for K and V, and the kernels load K/V rows in 16 bytes.
Status check_kv_layout(const char* op, const TensorView& k, const TensorView& v) {
  for (int d = 0; d < k.rank(); ++d)
    if (stride_of(k, d) != stride_of(v, d))
      return unsupported(std::string(op) + ": on CUDA k and v must have the same strides; k " +
                         op_checks::describe_layout(k) + ", v " + op_checks::describe_layout(v));
  bool aligned = reinterpret_cast<uintptr_t>(k.data) % 16 == 0 &&
                 reinterpret_cast<uintptr_t>(v.data) % 16 == 0;
  for (int d = 0; d + 1 < k.rank(); ++d) aligned = aligned && stride_of(k, d) % 8 == 0;
  if (!aligned && k.numel() > 0)
    return unsupported(std::string(op) + ": on CUDA k and v rows must start on 16 bytes (base "
                       "pointers 16-byte aligned, strides multiples of 8 elements); k " +
                       op_checks::describe_layout(k));
  return Status::ok();
}

// The prefill kernel loads q rows in 16 bytes and stores out in pairs of elements.
Status check_q_out_layout(const char* op, const TensorView& q, const TensorView& out) {
  if (q.numel() == 0) return Status::ok();
  const bool q_ok = reinterpret_cast<uintptr_t>(q.data) % 16 == 0 && stride_of(q, 0) % 8 == 0 &&
                    stride_of(q, 1) % 8 == 0;
  const uintptr_t out_align = out.dtype == DType::kF32 ? 8 : 4;
  const bool out_ok = reinterpret_cast<uintptr_t>(out.data) % out_align == 0 &&
                      stride_of(out, 0) % 2 == 0 && stride_of(out, 1) % 2 == 0;
  if (q_ok && out_ok) return Status::ok();
  return unsupported(std::string(op) + ": on CUDA q rows must start on 16 bytes (base 16-byte "
                     "aligned, strides multiples of 8 elements) and out rows on pairs of elements "
                     "(even strides); q " + op_checks::describe_layout(q) + ", out " +
                     op_checks::describe_layout(out));
}

kernels::AttnArgs base_args(kernels::AttnType type, const TensorView& q, const TensorView& out,
                            float scale) {
  kernels::AttnArgs a;
  a.type = type;
  a.q = q.data;
  a.q_row_stride = stride_of(q, 0);
  a.q_head_stride = stride_of(q, 1);
  a.out = out.data;
  a.out_f32 = out.dtype == DType::kF32;
  a.o_row_stride = stride_of(out, 0);
  a.o_head_stride = stride_of(out, 1);
  a.n_q = q.dim(0);
  a.n_heads = static_cast<int32_t>(q.dim(1));
  a.head_dim = static_cast<int32_t>(q.dim(2));
  a.scale = scale != 0.0f ? scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.dim(2))));
  return a;
}

// Without a block table the kernels find position p at p * row_stride. A pool
// [n_blocks, block_size, ...] has that form when there is one block, one position per block
// (the block stride steps), or blocks that follow each other.
bool one_row_stride(const TensorView& pool, int64_t* row_stride) {
  const int64_t n_blocks = pool.dim(0), block_size = pool.dim(1);
  if (block_size == 1) {
    *row_stride = stride_of(pool, 0);
    return true;
  }
  *row_stride = stride_of(pool, 1);
  return n_blocks <= 1 || pool.strides[0] == block_size * pool.strides[1];
}

int run(const kernels::AttnArgs& a, void* stream) {
  if (kernels::attention_prefers_decode(a.n_q, a.n_heads, a.kv.n_kv_heads))
    return kernels::attention_decode(a, stream);
  return kernels::attention_prefill(a, stream);
}

Expected<kernels::KvElem> kv_elem(const char* op, const TensorView& t) {
  switch (t.dtype) {
    case DType::kF32: return kernels::KvElem::kF32;
    case DType::kF16: return kernels::KvElem::kF16;
    case DType::kBF16: return kernels::KvElem::kBF16;
    default: return invalid_argument(std::string(op) + ": unexpected dtype " + t.describe());
  }
}

}  // namespace

Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out) {
  constexpr const char* kOp = "attention";
  auto type = attn_type(kOp, q);
  if (!type) return type.status();
  if (k.dtype != q.dtype || v.dtype != q.dtype)
    return invalid_argument("attention: q, k and v must have one dtype on CUDA; got q " + q.describe() +
                            ", k " + k.describe() + ", v " + v.describe());
  MISTRALRS_RETURN_IF_ERROR(check_out_and_dim(kOp, q, out));
  MISTRALRS_RETURN_IF_ERROR(check_kv_layout(kOp, k, v));
  MISTRALRS_RETURN_IF_ERROR(check_q_out_layout(kOp, q, out));
  if (q.dim(1) > INT32_MAX || k.dim(1) > INT32_MAX)
    return unsupported("attention: too many heads for CUDA: " + q.describe());
  if (q.numel() == 0) return Status::ok();
  kernels::AttnArgs a = base_args(type.value(), q, out, params.scale);
  a.kv.k = k.data;
  a.kv.v = v.data;
  a.kv.row_stride = stride_of(k, 0);
  a.kv.head_stride = stride_of(k, 1);
  a.kv.n_kv = k.dim(0);
  a.kv.n_kv_heads = static_cast<int32_t>(k.dim(1));
  a.q_position = params.q_position;
  a.sliding_window = params.sliding_window;
  return launch_status(kOp, q, run(a, ctx.cuda_stream));
}

Status cached_attention(const OpContext& ctx, const TensorView& q, const KvCacheView& cache,
                        const AttentionParams& params, const TensorView& out) {
  constexpr const char* kOp = "cached_attention";
  auto type = attn_type(kOp, q);
  if (!type) return type.status();
  if (cache.k.dtype != q.dtype)
    return invalid_argument("cached_attention: on CUDA q must have the pools' dtype; q " + q.describe() +
                            ", cache.k " + cache.k.describe());
  MISTRALRS_RETURN_IF_ERROR(check_out_and_dim(kOp, q, out));
  MISTRALRS_RETURN_IF_ERROR(check_kv_layout(kOp, cache.k, cache.v));
  MISTRALRS_RETURN_IF_ERROR(check_q_out_layout(kOp, q, out));
  const bool paged = cache.block_table.data != nullptr;
  const int64_t block_size = cache.k.dim(1);
  int64_t flat_row_stride = 0;
  if (!paged && !one_row_stride(cache.k, &flat_row_stride))
    return unsupported("cached_attention: on CUDA a cache without a block table must step one "
                       "stride per position across blocks; got " + op_checks::describe_layout(cache.k));
  if (q.numel() == 0) return Status::ok();
  kernels::AttnArgs a = base_args(type.value(), q, out, params.scale);
  a.kv.k = cache.k.data;
  a.kv.v = cache.v.data;
  a.kv.block_table = paged ? cache.block_table.as<const int32_t>() : nullptr;
  a.kv.block_size = block_size;
  a.kv.block_stride = paged ? stride_of(cache.k, 0) : 0;
  a.kv.row_stride = paged ? stride_of(cache.k, 1) : flat_row_stride;
  a.kv.head_stride = stride_of(cache.k, 2);
  a.kv.n_kv = cache.n_kv;
  a.kv.n_kv_device = cache.device_n_kv;
  a.kv.n_kv_heads = static_cast<int32_t>(cache.k.dim(2));
  a.q_position = cache.n_kv - q.dim(0);
  a.sliding_window = params.sliding_window;
  return launch_status(kOp, q, run(a, ctx.cuda_stream));
}

Status kv_write(const OpContext& ctx, const TensorView& k_new, const TensorView& v_new,
                const KvCacheView& cache, int64_t pos, const int32_t* device_pos) {
  constexpr const char* kOp = "kv_write";
  auto src = kv_elem(kOp, k_new);
  if (!src) return src.status();
  auto pool = kv_elem(kOp, cache.k);
  if (!pool) return pool.status();
  if (k_new.dtype != v_new.dtype)
    return unsupported("kv_write: on CUDA k_new and v_new must have one dtype; got " + k_new.describe() +
                       " and " + v_new.describe());
  const bool paged = cache.block_table.data != nullptr;
  kernels::KvWriteArgs a;
  a.src_type = src.value();
  a.pool_type = pool.value();
  a.k_src = {k_new.data, k_new.strides[0], k_new.strides[1]};
  a.v_src = {v_new.data, v_new.strides[0], v_new.strides[1]};
  a.k_pool = {cache.k.data, cache.k.strides[0], cache.k.strides[1], cache.k.strides[2]};
  a.v_pool = {cache.v.data, cache.v.strides[0], cache.v.strides[1], cache.v.strides[2]};
  a.block_table = paged ? cache.block_table.as<const int32_t>() : nullptr;
  a.block_size = cache.k.dim(1);
  a.capacity = (paged ? cache.block_table.dim(0) : cache.k.dim(0)) * a.block_size;
  a.n = k_new.dim(0);
  a.n_kv_heads = k_new.dim(1);
  a.head_dim = k_new.dim(2);
  a.pos = device_pos ? 0 : pos;
  a.device_pos = device_pos;
  return launch_status(kOp, k_new, kernels::kv_write(a, ctx.cuda_stream));
}

}  // namespace mistralrs::cuda_attention

#endif  // MISTRALRS_HAS_CUDA
