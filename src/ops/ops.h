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
  const float* inv_freq = nullptr; // optional [rotary_dim/2] frequencies (rope scaling)
};

// x, y: f32 [n_tokens, n_heads, head_dim]. Angle for pair i at position p:
// p * inv_freq[i], inv_freq[i] = theta^(-2i/rotary_dim) unless given. In-place ok.
Status rope(const OpContext& ctx, const TensorView& x, const RopeParams& params, const TensorView& y);

// Softmax along the last dim (max-subtracted). In-place ok.
Status softmax(const OpContext& ctx, const TensorView& x, const TensorView& y);

// Elementwise: y = x * sigmoid(x).
Status silu(const OpContext& ctx, const TensorView& x, const TensorView& y);

enum class GeluKind { kErf, kTanh };
Status gelu(const OpContext& ctx, const TensorView& x, GeluKind kind, const TensorView& y);

// y = a + b, y = a * b. b has a's shape, or b is 1-D with a's last dim (broadcast over rows).
Status add(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);
Status mul(const OpContext& ctx, const TensorView& a, const TensorView& b, const TensorView& y);

// y[t, :] = table[ids[t], :] as f32. table: [vocab, dim], any matmul weight dtype;
// ids: i32 [n_tokens]; an id outside [0, vocab) is an invalid-argument error.
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
Status attention(const OpContext& ctx, const TensorView& q, const TensorView& k,
                 const TensorView& v, const AttentionParams& params, const TensorView& out);

}  // namespace mistralrs
