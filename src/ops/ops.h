// The op layer: each op validates its arguments (dtype, shape, device, aliasing) and
// dispatches on the device of its tensors. CPU code lives in src/ops/cpu/, CUDA launchers
// in kernels/ (called through src/ops/cuda/). Every CPU op has a plain-loop reference in
// src/ops/cpu/reference.h that tests compare against.
//
// Conventions: activations are f32 unless stated; "rows" are all leading dimensions
// flattened and the op works along the last dimension. Output views are written, never
// allocated, so callers control memory. In-place use (y aliasing x) is allowed where noted.
#pragma once
#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace mistralrs {

struct OpContext {
  ThreadPool* pool = nullptr;   // CPU parallelism; null = run on the calling thread
  void* cuda_stream = nullptr;  // cudaStream_t for CUDA tensors; null = default stream
  // Block-type weights (q8_0, ...): false = round activations to 8-bit blocks and use
  // integer dot products (fast, llama.cpp's scheme); true = dequantize the weights and
  // multiply in f32, so results equal the dequantized model's up to summation order.
  bool exact_block_weights = false;
};

// y[M, N] = x[M, K] * w[N, K]^T. x: f32; w: f32, f16, bf16, q8_0, q4_0, q4_k or q6_k
// (rows of w contiguous, K a whole number of blocks); y: f32. x and y may have any
// leading dims (flattened to M); w is 2-D.
Status matmul(const OpContext& ctx, const TensorView& x, const TensorView& w, const TensorView& y);

// y = x / sqrt(mean(x^2) + eps) * weight, along the last dim. weight: f32 [n]. In-place ok.
Status rms_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight, float eps,
                const TensorView& y);

// y = (x - mean) / sqrt(var + eps) * weight + bias (biased variance). bias may be an empty
// view (data == nullptr). In-place ok.
Status layer_norm(const OpContext& ctx, const TensorView& x, const TensorView& weight,
                  const TensorView& bias, float eps, const TensorView& y);

enum class RopeLayout {
  kNeox,         // pairs (i, i + rotary_dim/2): HF Llama "rotate_half"
  kInterleaved,  // pairs (2i, 2i + 1): GPT-J / original Meta layout
};

struct RopeParams {
  float theta = 10000.0f;
  RopeLayout layout = RopeLayout::kNeox;
  int64_t position_offset = 0;     // token t of x is at position position_offset + t
  int64_t rotary_dim = 0;          // 0 = the whole head_dim; else rotate only the first dims
  const float* inv_freq = nullptr; // optional [rotary_dim/2] host frequencies (rope scaling)
  // CUDA only (null elsewhere): an i32 in device memory read by the kernel at run time and
  // used instead of position_offset, so that a captured CUDA graph can be replayed for
  // every decode step. rotary_dim/2 must then be <= 128 (frequencies travel by value).
  const int32_t* device_position = nullptr;
};

// x, y: f32 [n_tokens, n_heads, head_dim]. Angle for pair i at position p:
// p * inv_freq[i], inv_freq[i] = theta^(-2i/rotary_dim) unless given. In-place ok.
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params, const TensorView& y);

// Softmax along the last dim (max-subtracted). In-place ok.
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y);

// Elementwise: y = x * sigmoid(x).
Status silu(const OpContext& ctx, const TensorView& x, const TensorView& y);

// SwiGLU's product, elementwise: y = silu(gate) * up. f32; one shape; y may alias gate or up.
Status silu_mul(const OpContext& ctx, const TensorView& gate, const TensorView& up,
                const TensorView& y);

// y = x converted to y's dtype: any two of f32, f16, bf16 (round to nearest even), one
// shape, rows as the row-wise ops take them. Same dtype is a copy. No aliasing.
Status cast(const OpContext& ctx, const TensorView& x, const TensorView& y);

enum class GeluKind { kErf, kTanh };
Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y);

// y = a + b, y = a * b. b has a's shape, or b is 1-D with a's last dim (broadcast over rows).
Status add(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);
Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);

// y[t, :] = table[ids[t], :] as f32. table: [vocab, dim], any matmul weight dtype;
// ids: i32 [n_tokens]; an id outside [0, vocab) is an invalid-argument error on the CPU.
// On CUDA the ids are device memory (checking them would need a synchronising copy and
// break CUDA graphs): such an id gives a row of zeros and nothing outside the table is read.
Status embedding(const OpContext& ctx, const TensorView& table, const TensorView& ids,
                 const TensorView& y);

struct AttentionParams {
  float scale = 0.0f;           // 0 = 1/sqrt(head_dim)
  int64_t q_position = 0;       // absolute position of the first query row
  int64_t sliding_window = 0;   // 0 = none; else key j is visible to query at p if p - j < window
};

// Causal attention with grouped-query heads.
// q: [n_q, n_heads, head_dim]; k, v: [n_kv, n_kv_heads, head_dim] for key positions 0..n_kv-1;
// out: [n_q, n_heads, head_dim]. n_heads % n_kv_heads == 0; query head h reads kv head
// h / (n_heads / n_kv_heads). Query i at position q_position + i sees keys j <= that position.
// CPU: all f32. CUDA: q, k, v all f16 or all bf16 (f32 accumulation), out f32 or q's dtype,
// head_dim 64, 128 or 256; many queries run the fused prefill kernel, a few (decode) the
// split-KV kernel.
Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out);

// One layer's K and V in a cache of fixed-size blocks: k and v are pools
// [n_blocks, block_size, n_kv_heads, head_dim] (f32, f16 or bf16, last dim contiguous);
// position p lives in row p % block_size of block block_table[p / block_size]. An empty
// block_table (data == nullptr) means block i holds positions [i * block_size, ...): a
// contiguous cache is one block of block_size = capacity.
struct KvCacheView {
  TensorView k, v;
  TensorView block_table;  // i32 [n_table] on the pools' device, or empty
  // Positions 0..n_kv-1 hold keys (attention reads them; kv_write checks its range
  // against the capacity, not n_kv).
  int64_t n_kv = 0;
  // CUDA only: an i32 in device memory holding the number of valid keys, read at run time
  // (for CUDA graphs replayed at every decode step); n_kv is then an upper bound that sizes
  // grids, and the queries sit at positions *device_n_kv - n_q ...
  const int32_t* device_n_kv = nullptr;
};

// Attention of q (as in attention()) over the keys and values held in a cache; the queries
// are the last n_q positions: q_position = n_kv - n_q (params.q_position is ignored).
// CPU: any pool dtype, q and out f32. CUDA: q in the pools' dtype (f16/bf16), out f32 or
// q's dtype. Block table entries must name blocks of the pool (checked on the CPU; on
// CUDA the table is device memory and is trusted).
Status cached_attention(const OpContext& ctx, const TensorView& q, const KvCacheView& cache,
                        const AttentionParams& params, const TensorView& out);

// Stores k_new, v_new [n, n_kv_heads, head_dim] (f32 or the pools' dtype; converted) at
// positions [pos, pos + n) of the cache. device_pos (CUDA only, may be null): an i32 in
// device memory read at run time instead of pos (pos then only bounds-checks as 0).
Status kv_write(const OpContext& ctx, const TensorView& k_new, const TensorView& v_new,
                const KvCacheView& cache, int64_t pos, const int32_t* device_pos = nullptr);

}  // namespace mistralrs
