// Writes new K and V rows into a layer's block-paged cache on the device (host-callable, no
// CUDA types exposed). Returns 0 or a cudaError_t value (cudaErrorInvalidValue for
// arguments it cannot run).
#pragma once
#include <cstdint>

namespace mistralrs::kernels {

enum class KvElem : int32_t { kF32 = 0, kF16 = 1, kBF16 = 2 };

// Source rows [n, n_kv_heads, head_dim]: element (t, h, d) at data + t * row_stride +
// h * head_stride + d, in elements of the source type.
struct KvRows {
  const void* data = nullptr;
  int64_t row_stride = 0, head_stride = 0;
};

// A pool [n_blocks, block_size, n_kv_heads, head_dim]: position p, head h, element d at
// data + block(p) * block_stride + (p % block_size) * row_stride + h * head_stride + d, with
// block(p) = block_table[p / block_size], or p / block_size without a table.
struct KvPool {
  void* data = nullptr;
  int64_t block_stride = 0, row_stride = 0, head_stride = 0;
};

struct KvWriteArgs {
  KvElem src_type = KvElem::kF32;   // of k_src and v_src
  KvElem pool_type = KvElem::kF16;  // of both pools
  KvRows k_src, v_src;
  KvPool k_pool, v_pool;
  const int32_t* block_table = nullptr;  // device memory, trusted; null = identity
  int64_t block_size = 0;
  int64_t capacity = 0;  // positions the pool (through the table) can hold
  int64_t n = 0, n_kv_heads = 0, head_dim = 0;
  // Rows go to positions pos .. pos + n - 1; with device_pos (device memory, read when the
  // kernel runs, for CUDA graphs) to *device_pos ..., and the kernel then writes nothing
  // when *device_pos < 0 or *device_pos + n > capacity (it cannot report an error).
  int64_t pos = 0;
  const int32_t* device_pos = nullptr;
};

// K and V in one launch. f32 sources are rounded to the pool type (nearest even); a source
// of the pool's type is copied bit for bit. Other type pairs: cudaErrorInvalidValue.
int kv_write(const KvWriteArgs& args, void* stream);

}  // namespace mistralrs::kernels
