// Bridges from the attention ops to the launchers in kernels/attention.h and
// kernels/kv_write.h. The op layer has checked what does not depend on the device (ranks,
// shapes, head counts, ranges, aliasing, one device); these check what the kernels need and
// return kUnsupported for what they cannot run (f32 attention, head_dim other than 64, 128
// or 256, k and v with different strides, K/V rows not 16-byte aligned) and kInvalidArgument
// for mismatched dtypes. Only compiled when MISTRALRS_HAS_CUDA is defined.
#pragma once
#include "ops/ops.h"

namespace mistralrs::cuda_attention {

// q, k, v: f16 or bf16 (one dtype); out: f32 or q's dtype. A few query rows per kv head
// run the split-KV decode kernel, more the fused prefill kernel.
Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out);

// q in the pools' dtype (f16/bf16); out f32 or q's dtype; the block table is trusted.
Status cached_attention(const OpContext& ctx, const TensorView& q, const KvCacheView& cache,
                        const AttentionParams& params, const TensorView& out);

// Pools f32, f16 or bf16; k_new and v_new f32 or the pools' dtype.
Status kv_write(const OpContext& ctx, const TensorView& k_new, const TensorView& v_new,
                const KvCacheView& cache, int64_t pos, const int32_t* device_pos);

}  // namespace mistralrs::cuda_attention
