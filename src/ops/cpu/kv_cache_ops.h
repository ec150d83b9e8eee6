// CPU implementations of cached_attention and kv_write (ops/ops.h). Callers (
// src/ops/kv_cache_ops.cpp) have validated everything: shapes, dtypes (q, out f32; pools f32,
// f16 or bf16; k_new/v_new f32 or the pools' dtype), CPU device, ranges, and that every
// block-table entry the call touches names a block of the pool.
#pragma once
#include "ops/ops.h"

namespace mistralrs::cpu {

// Plain loops, parallel over (query, head) with ctx.pool. Pool elements are converted to
// f32 as they are read; dot products and the weighted sum of values accumulate in double.
Status cached_attention(const OpContext& ctx, const TensorView& q, const KvCacheView& cache,
                        const AttentionParams& params, const TensorView& out);

// Stores rows at positions [pos, pos + n); f32 rounds to the pool type (nearest even,
// core/dtype.h), a source of the pool's type is copied bit for bit.
Status kv_write(const OpContext& ctx, const TensorView& k_new, const TensorView& v_new,
                const KvCacheView& cache, int64_t pos);

}  // namespace mistralrs::cpu
