// Causal grouped-query attention on the device (host-callable, no CUDA types exposed).
// Two launchers share one argument block: the fused prefill kernel (attention_prefill.cu,
// FlashAttention-2 style: Q tiles in shared memory, online softmax, tensor cores) and the
// split-KV decode kernel (attention_decode.cu: a few queries against a long cache, the keys
// split over many blocks whose partial results are combined exactly).
// Both return 0 on success or a cudaError_t value (cudaErrorInvalidValue for arguments
// they cannot run: an unsupported head_dim, n_heads not a multiple of n_kv_heads).
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

enum class AttnType : int32_t { kF16 = 0, kBF16 = 1 };  // element type of q, k and v

// Where the key (or value) of position j and kv head h lives, in elements of AttnType:
//   block_table == nullptr: base + j * row_stride + h * head_stride
//   otherwise:              base + block_table[j / block_size] * block_stride
//                                + (j % block_size) * row_stride + h * head_stride
// The head_dim elements from there are contiguous. block_table is device memory.
struct KvLayout {
  const void* k = nullptr;
  const void* v = nullptr;
  const int32_t* block_table = nullptr;
  int64_t block_size = 0;    // positions per block (paged only)
  int64_t block_stride = 0;  // elements from one block to the next (paged only)
  int64_t row_stride = 0;    // elements from one position to the next
  int64_t head_stride = 0;   // elements from one kv head to the next
  int64_t n_kv = 0;          // keys 0..n_kv-1 are valid (an upper bound when n_kv_device is set)
  // Device memory holding the number of valid keys, read at run time (CUDA graphs); null =
  // use n_kv. The queries then sit at positions *n_kv_device - n_q ... and q_position is
  // ignored.
  const int32_t* n_kv_device = nullptr;
  int32_t n_kv_heads = 0;
};

struct AttnArgs {
  AttnType type = AttnType::kF16;
  // q: [n_q, n_heads, head_dim], element (i, h, d) at q + i * q_row_stride + h * q_head_stride + d.
  const void* q = nullptr;
  int64_t q_row_stride = 0, q_head_stride = 0;
  // out: q's shape; f32 when out_f32, else AttnType.
  void* out = nullptr;
  bool out_f32 = false;
  int64_t o_row_stride = 0, o_head_stride = 0;
  int64_t n_q = 0;
  int32_t n_heads = 0;
  int32_t head_dim = 0;  // 64, 128 or 256
  KvLayout kv;
  float scale = 0.0f;          // softmax scale (the caller resolves 0 to 1/sqrt(head_dim))
  int64_t q_position = 0;      // position of query row 0 (keys count from 0)
  int64_t sliding_window = 0;  // 0 = none; else key j is visible to a query at p iff p - j < window
};

// Query i (position p = q_position + i) attends to keys j < n_kv with j <= p (and
// p - j < window); a query that sees no key writes zeros. stream: a cudaStream_t or null.
int attention_prefill(const AttnArgs& args, void* stream);
int attention_decode(const AttnArgs& args, void* stream);

// True when attention_decode is the better kernel for this many query rows per kv head
// (n_q * n_heads / n_kv_heads small enough that one tile of queries covers them).
bool attention_prefers_decode(int64_t n_q, int32_t n_heads, int32_t n_kv_heads);

}  // namespace mistralrs::kernels
