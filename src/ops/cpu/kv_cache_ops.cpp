// cached_attention and kv_write on the CPU. Exact two-pass softmax per (query, head) over
// the keys it sees, gathered through the block table one row at a time.
#include "ops/cpu/kv_cache_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace mistralrs::cpu {

namespace {

// Where position p of kv head h starts in a pool (element offset; block table applied).
struct PoolIndex {
  const int32_t* table;  // null = identity
  int64_t block_size;
  int64_t offset(const TensorView& pool, int64_t p, int64_t h) const {
    const int64_t logical = p / block_size;
    const int64_t block = table ? table[logical] : logical;
    return block * pool.strides[0] + (p % block_size) * pool.strides[1] + h * pool.strides[2];
  }
};

PoolIndex index_of(const KvCacheView& cache) {
  return {cache.block_table.data ? cache.block_table.as<const int32_t>() : nullptr, cache.k.dim(1)};
}

// n elements of a pool row, converted to f32.
void read_row(const TensorView& pool, int64_t offset, int64_t n, float* dst) {
  if (pool.dtype == DType::kF32) {
    std::memcpy(dst, pool.as<const float>() + offset, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  const uint16_t* src = pool.as<const uint16_t>() + offset;
  for (int64_t d = 0; d < n; ++d)
    dst[d] = pool.dtype == DType::kF16 ? fp16_to_fp32(src[d]) : bf16_to_fp32(src[d]);
}

// One query row of one head: out = softmax(scale * q . K[first..last]) V[first..last].
void attend_row(const KvCacheView& cache, const PoolIndex& ix, const float* q, float* out,
                int64_t kvh, int64_t first, int64_t last, double scale, std::vector<float>& row,
                std::vector<double>& w) {
  const int64_t head_dim = cache.k.dim(3);
  const int64_t n = last - first + 1;
  w.assign(static_cast<size_t>(std::max<int64_t>(n, 0)), 0.0);
  double max_s = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    read_row(cache.k, ix.offset(cache.k, first + j, kvh), head_dim, row.data());
    double s = 0;
    for (int64_t d = 0; d < head_dim; ++d) s += double{q[d]} * row[static_cast<size_t>(d)];
    w[static_cast<size_t>(j)] = s * scale;
    max_s = std::max(max_s, s * scale);
  }
  double sum = 0;
  for (double& x : w) sum += x = std::exp(x - max_s);
  std::vector<double> acc(static_cast<size_t>(head_dim), 0.0);
  for (int64_t j = 0; j < n; ++j) {
    read_row(cache.v, ix.offset(cache.v, first + j, kvh), head_dim, row.data());
    for (int64_t d = 0; d < head_dim; ++d)
      acc[static_cast<size_t>(d)] += w[static_cast<size_t>(j)] * row[static_cast<size_t>(d)];
  }
  for (int64_t d = 0; d < head_dim; ++d)
    out[d] = n > 0 ? static_cast<float>(acc[static_cast<size_t>(d)] / sum) : 0.0f;
}

uint16_t to_half_bits(DType t, float x) { return t == DType::kF16 ? fp32_to_fp16(x) : fp32_to_bf16(x); }

// Writes one source row (head_dim elements) at a pool offset.
void write_row(const TensorView& src, int64_t src_offset, const TensorView& pool, int64_t offset,
               int64_t n) {
  const size_t elem = pool.dtype == DType::kF32 ? 4 : 2;
  if (src.dtype == pool.dtype) {
    std::memcpy(static_cast<char*>(pool.data) + offset * static_cast<int64_t>(elem),
                static_cast<const char*>(src.data) + src_offset * static_cast<int64_t>(elem),
                static_cast<size_t>(n) * elem);
    return;
  }
  const float* s = src.as<const float>() + src_offset;  // validated: f32 source
  uint16_t* d = pool.as<uint16_t>() + offset;
  for (int64_t i = 0; i < n; ++i) d[i] = to_half_bits(pool.dtype, s[i]);
}

}  // namespace

// q, out: [n_q, n_heads, head_dim]; queries at positions n_kv - n_q ... n_kv - 1.
Status cached_attention(const OpContext& ctx, const TensorView& q, const KvCacheView& cache,
                        const AttentionParams& params, const TensorView& out) {
  const int64_t n_q = q.dim(0), n_heads = q.dim(1), head_dim = q.dim(2);
  const int64_t group = n_heads / cache.k.dim(2);
  const double scale = params.scale != 0.0f ? params.scale : 1.0 / std::sqrt(double(head_dim));
  const PoolIndex ix = index_of(cache);
  const int64_t q_position = cache.n_kv - n_q;
  parallel_for(ctx.pool, n_q * n_heads, [&](int64_t b, int64_t e) {
    std::vector<float> row(static_cast<size_t>(head_dim));
    std::vector<double> w;
    for (int64_t t = b; t < e; ++t) {
      const int64_t i = t / n_heads, h = t % n_heads;
      const int64_t p = q_position + i;
      const int64_t last = std::min(p, cache.n_kv - 1);
      const int64_t first =
          params.sliding_window > 0 ? std::max<int64_t>(0, p - params.sliding_window + 1) : 0;
      attend_row(cache, ix, q.as<const float>() + i * q.strides[0] + h * q.strides[1],
                 out.as<float>() + i * out.strides[0] + h * out.strides[1], h / group, first,
                 last, scale, row, w);
    }
  });
  return Status::ok();
}

Status kv_write(const OpContext& ctx, const TensorView& k_new, const TensorView& v_new,
                const KvCacheView& cache, int64_t pos) {
  const int64_t n = k_new.dim(0), n_kv_heads = k_new.dim(1), head_dim = k_new.dim(2);
  const PoolIndex ix = index_of(cache);
  parallel_for(ctx.pool, n * n_kv_heads, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t i = t / n_kv_heads, h = t % n_kv_heads;
      write_row(k_new, i * k_new.strides[0] + h * k_new.strides[1], cache.k,
                ix.offset(cache.k, pos + i, h), head_dim);
      write_row(v_new, i * v_new.strides[0] + h * v_new.strides[1], cache.v,
                ix.offset(cache.v, pos + i, h), head_dim);
    }
  });
  return Status::ok();
}

}  // namespace mistralrs::cpu
