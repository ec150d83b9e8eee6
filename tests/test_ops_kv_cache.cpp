// cached_attention and kv_write on the CPU: attention over f32 pools with shuffled block
// tables equals ref::attention over the gathered contiguous K/V; f16/bf16 pools equal the
// reference over the rounded values; kv_write stores exactly what core/dtype.h rounds to and
// nothing else; every argument error names the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "common/op_test_util.h"
#include "core/thread_pool.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::make_tensor;
using test::OwnedView;

// A cache of n_blocks blocks with a table of n_table entries (a shuffled permutation of a
// subset of the blocks) or no table; pools zero-filled.
struct Cache {
  OwnedView k, v, table;
  KvCacheView view;
};

Cache make_cache(int64_t n_blocks, int64_t block_size, int64_t kvh, int64_t d, DType dtype,
                 int64_t n_table, uint32_t seed) {
  Cache c;
  c.k = make_tensor(Shape{n_blocks, block_size, kvh, d}, dtype);
  c.v = make_tensor(Shape{n_blocks, block_size, kvh, d}, dtype);
  c.view.k = c.k.view;
  c.view.v = c.v.view;
  if (n_table > 0) {
    c.table = make_tensor(Shape{n_table}, DType::kI32);
    std::vector<int32_t> perm(static_cast<size_t>(n_blocks));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), std::mt19937(seed));
    std::copy_n(perm.begin(), n_table, c.table.storage.as<int32_t>());
    c.view.block_table = c.table.view;
  }
  return c;
}

// Random f32 rows [n, kvh, d] written to the cache at pos 0 by kv_write; returns the values
// the pool holds, read back as f32 (rounded for f16/bf16 pools), for the reference.
OwnedView fill_cache(Cache& c, int64_t n, uint32_t seed) {
  const int64_t kvh = c.k.view.dim(2), d = c.k.view.dim(3);
  OwnedView k = make_tensor(Shape{n, kvh, d}), v = make_tensor(Shape{n, kvh, d});
  test::fill_random(k.view, seed);
  test::fill_random(v.view, seed + 1);
  const Status s = kv_write(OpContext{}, k, v, c.view, 0);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  c.view.n_kv = n;
  // Rounded values: what the pool now holds (dtype.h rounding), as f32.
  OwnedView both = make_tensor(Shape{2, n, kvh, d});
  float* dst = both.storage.as<float>();
  const float* src[2] = {k.storage.as<float>(), v.storage.as<float>()};
  const DType t = c.k.view.dtype;
  for (int w = 0; w < 2; ++w)
    for (int64_t i = 0; i < n * kvh * d; ++i) {
      const float x = src[w][i];
      dst[w * n * kvh * d + i] = t == DType::kF32   ? x
                                 : t == DType::kF16 ? fp16_to_fp32(fp32_to_fp16(x))
                                                    : bf16_to_fp32(fp32_to_bf16(x));
    }
  return both;
}

struct KvCase {
  int64_t n_q, n_heads, kvh, d, n_kv, block_size, window;
  bool paged;
};

const KvCase kCases[] = {
    {1, 1, 1, 8, 1, 4, 0, true},     {1, 4, 2, 16, 37, 8, 0, true},
    {3, 8, 2, 16, 40, 16, 0, true},  {2, 6, 3, 32, 100, 7, 9, false},
    {4, 8, 1, 8, 64, 16, 5, true},   {1, 32, 8, 64, 300, 16, 0, true},
    {5, 4, 4, 8, 5, 1, 0, true},     {2, 4, 2, 16, 33, 33, 0, false},
};

void check_case(const KvCase& k, DType dtype, ThreadPool* pool) {
  const int64_t n_blocks = (k.n_kv + k.block_size - 1) / k.block_size + 2;  // spare blocks
  Cache c = make_cache(n_blocks, k.block_size, k.kvh, k.d, dtype, k.paged ? n_blocks - 1 : 0, 7);
  const OwnedView kv = fill_cache(c, k.n_kv, 3);
  const int64_t rows = k.n_kv * k.kvh * k.d;
  TensorView kc(kv.storage.as<float>(), DType::kF32, Shape{k.n_kv, k.kvh, k.d});
  TensorView vc(kv.storage.as<float>() + rows, DType::kF32, Shape{k.n_kv, k.kvh, k.d});
  OwnedView q = make_tensor(Shape{k.n_q, k.n_heads, k.d});
  test::fill_random(q.view, 5, -2.0f, 2.0f);
  OwnedView out = make_tensor(q.view.shape), want = make_tensor(q.view.shape);
  AttentionParams p;
  p.sliding_window = k.window;
  p.q_position = 12345;  // ignored by cached_attention
  OpContext ctx;
  ctx.pool = pool;
  const Status s = cached_attention(ctx, q, c.view, p, out);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  p.q_position = k.n_kv - k.n_q;
  ASSERT_TRUE(ref::attention(q, kc, vc, p, want).is_ok());
  // Both sides read the same (rounded) f32 values and accumulate in double: only the final
  // f32 rounding differs, so the f32 bound holds for every pool dtype.
  EXPECT_TRUE(test::all_close(out, want, test::kF32Tol))
      << dtype_name(dtype) << " n_q " << k.n_q << " heads " << k.n_heads << "/" << k.kvh << " d "
      << k.d << " n_kv " << k.n_kv << " block " << k.block_size << " window " << k.window
      << (k.paged ? " paged" : " contiguous");
}

TEST(OpsKvCache, AttentionMatchesReferenceOverGatheredKeys) {
  ThreadPool pool(2);
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
    for (const KvCase& k : kCases) {
      check_case(k, t, nullptr);
      check_case(k, t, &pool);
    }
}

// Rows land at pos .. pos + n through the table, rounded as dtype.h rounds (or copied bit
// for bit from the pool's dtype), and no other element changes.
TEST(OpsKvCache, WriteStoresRoundedRowsAndNothingElse) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
    for (bool same_type : {false, true}) {
      if (same_type && t == DType::kF32) continue;
      Cache c = make_cache(5, 4, 2, 8, t, 4, 9);  // capacity 16
      const size_t elem = t == DType::kF32 ? 4 : 2;
      const size_t bytes = static_cast<size_t>(5 * 4 * 2 * 8) * elem;
      std::memset(c.k.view.data, 0x5a, bytes);
      std::memset(c.v.view.data, 0x5a, bytes);
      const std::vector<uint8_t> k_before(static_cast<uint8_t*>(c.k.view.data),
                                          static_cast<uint8_t*>(c.k.view.data) + bytes);
      const int64_t pos = 6, n = 5;  // spans logical blocks 1..2
      OwnedView kf = make_tensor(Shape{n, 2, 8}), vf = make_tensor(Shape{n, 2, 8});
      test::fill_random(kf.view, 1, -3.0f, 3.0f);
      test::fill_random(vf.view, 2, -3.0f, 3.0f);
      OwnedView ks = kf, vs = vf;
      if (same_type) {  // rows already in the pool's dtype: the op must copy the bits
        ks = make_tensor(Shape{n, 2, 8}, t);
        vs = make_tensor(Shape{n, 2, 8}, t);
        for (int64_t i = 0; i < n * 16; ++i) {
          const float a = kf.storage.as<float>()[i], b = vf.storage.as<float>()[i];
          ks.storage.as<uint16_t>()[i] = t == DType::kF16 ? fp32_to_fp16(a) : fp32_to_bf16(a);
          vs.storage.as<uint16_t>()[i] = t == DType::kF16 ? fp32_to_fp16(b) : fp32_to_bf16(b);
        }
      }
      ASSERT_TRUE(kv_write(OpContext{}, ks, vs, c.view, pos).is_ok());
      const int32_t* table = c.table.storage.as<int32_t>();
      std::vector<bool> written(bytes / elem, false);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t e = 0; e < 16; ++e) {
          const int64_t p = pos + i;
          const int64_t off = (table[p / 4] * 4 + p % 4) * 16 + e;
          written[static_cast<size_t>(off)] = true;
          for (int w = 0; w < 2; ++w) {
            const float x = (w ? vf : kf).storage.as<float>()[i * 16 + e];
            const void* pool = (w ? c.v : c.k).view.data;
            if (t == DType::kF32) {
              ASSERT_EQ(static_cast<const float*>(pool)[off], x);
            } else {
              const uint16_t want = t == DType::kF16 ? fp32_to_fp16(x) : fp32_to_bf16(x);
              ASSERT_EQ(static_cast<const uint16_t*>(pool)[off], want) << "pos " << p << " e " << e;
            }
          }
        }
      for (size_t i = 0; i < written.size(); ++i) {
        if (written[i]) continue;
        ASSERT_EQ(0, std::memcmp(static_cast<uint8_t*>(c.k.view.data) + i * elem,
                                 k_before.data() + i * elem, elem))
            << "kv_write changed element " << i << " outside the written rows";
      }
    }
}

// kv_write in pieces (prefill, then decode steps) gives the same attention as writing once.
TEST(OpsKvCache, PiecewiseWritesThenAttention) {
  Cache whole = make_cache(6, 8, 2, 16, DType::kBF16, 6, 4);
  Cache parts = make_cache(6, 8, 2, 16, DType::kBF16, 6, 4);
  fill_cache(whole, 41, 21);
  OwnedView k = make_tensor(Shape{41, 2, 16}), v = make_tensor(Shape{41, 2, 16});
  test::fill_random(k.view, 21);
  test::fill_random(v.view, 22);
  for (int64_t b = 0; b < 41;) {
    const int64_t n = b == 0 ? 30 : 1;
    auto ks = k.view.slice(0, b, b + n), vs = v.view.slice(0, b, b + n);
    ASSERT_TRUE(ks && vs);
    ASSERT_TRUE(kv_write(OpContext{}, ks.value(), vs.value(), parts.view, b).is_ok());
    b += n;
  }
  parts.view.n_kv = 41;
  OwnedView q = make_tensor(Shape{1, 4, 16});
  test::fill_random(q.view, 8);
  OwnedView a = make_tensor(q.view.shape), b = make_tensor(q.view.shape);
  ASSERT_TRUE(cached_attention(OpContext{}, q, whole.view, AttentionParams{}, a).is_ok());
  ASSERT_TRUE(cached_attention(OpContext{}, q, parts.view, AttentionParams{}, b).is_ok());
  EXPECT_TRUE(test::all_close(a, b, {0.0, 0.0}));
}

// The status is kInvalidArgument and its message contains `needle`.
void expect_error(const Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << "message: " << s.message();
}

TEST(OpsKvCache, AttentionArgumentErrors) {
  const OpContext ctx;
  Cache c = make_cache(4, 4, 2, 8, DType::kF32, 3, 1);  // capacity 12
  c.view.n_kv = 6;
  OwnedView q = make_tensor(Shape{2, 4, 8}), out = make_tensor(Shape{2, 4, 8});
  const AttentionParams p;
  ASSERT_TRUE(cached_attention(ctx, q, c.view, p, out).is_ok());
  auto with = [&](auto edit) {
    KvCacheView v = c.view;
    edit(v);
    return cached_attention(ctx, q, v, p, out);
  };
  OwnedView k3 = make_tensor(Shape{4, 4, 16});
  expect_error(with([&](KvCacheView& v) { v.k = k3.view; }), "cache.k must have rank 4");
  OwnedView k_other = make_tensor(Shape{4, 4, 1, 16});
  expect_error(with([&](KvCacheView& v) { v.k = k_other.view; }), "must have the same shape");
  OwnedView k_half = make_tensor(Shape{4, 4, 2, 8}, DType::kF16);
  expect_error(with([&](KvCacheView& v) { v.k = k_half.view; }), "must share one dtype");
  OwnedView k_i32 = make_tensor(Shape{4, 4, 2, 8}, DType::kI32), v_i32 = make_tensor(Shape{4, 4, 2, 8}, DType::kI32);
  expect_error(with([&](KvCacheView& v) { v.k = k_i32.view, v.v = v_i32.view; }), "f32, f16 or bf16");
  OwnedView k0 = make_tensor(Shape{4, 0, 2, 8}), v0 = make_tensor(Shape{4, 0, 2, 8});
  expect_error(with([&](KvCacheView& v) { v.k = k0.view, v.v = v0.view, v.n_kv = 0; }), "block_size > 0");
  OwnedView t_f32 = make_tensor(Shape{3});
  expect_error(with([&](KvCacheView& v) { v.block_table = t_f32.view; }), "cache.block_table must be i32");
  OwnedView t_2d = make_tensor(Shape{3, 1}, DType::kI32);
  expect_error(with([&](KvCacheView& v) { v.block_table = t_2d.view; }), "must have rank 1");
  expect_error(with([&](KvCacheView& v) { v.n_kv = 13; }), "cache.n_kv 13 must lie in [0, capacity 12]");
  expect_error(with([&](KvCacheView& v) { v.n_kv = -1; }), "must lie in [0, capacity");
  c.table.storage.as<int32_t>()[1] = 4;  // positions 4..7 would read a block past the pool
  expect_error(cached_attention(ctx, q, c.view, p, out), "cache.block_table[1] = 4 is not a block");
  c.table.storage.as<int32_t>()[1] = -1;
  expect_error(cached_attention(ctx, q, c.view, p, out), "cache.block_table[1] = -1");
  c.view.n_kv = 4;  // entry 1 is past the keys in use: not read, not checked
  OwnedView q1 = make_tensor(Shape{1, 4, 8}), out1 = make_tensor(Shape{1, 4, 8});
  EXPECT_TRUE(cached_attention(ctx, q1, c.view, p, out1).is_ok());
  c.table.storage.as<int32_t>()[1] = 1;
  c.view.n_kv = 6;

  OwnedView q_d = make_tensor(Shape{2, 4, 16}), out_d = make_tensor(Shape{2, 4, 16});
  expect_error(cached_attention(ctx, q_d, c.view, p, out_d), "must have the same head_dim");
  OwnedView q_h = make_tensor(Shape{2, 3, 8}), out_h = make_tensor(Shape{2, 3, 8});
  expect_error(cached_attention(ctx, q_h, c.view, p, out_h), "must be a multiple of n_kv_heads 2");
  OwnedView q_n = make_tensor(Shape{7, 4, 8}), out_n = make_tensor(Shape{7, 4, 8});
  expect_error(cached_attention(ctx, q_n, c.view, p, out_n), "n_q must be <= cache.n_kv 6");
  AttentionParams bad = p;
  bad.scale = NAN;
  expect_error(cached_attention(ctx, q, c.view, bad, out), "scale must be finite");
  bad = p;
  bad.sliding_window = -2;
  expect_error(cached_attention(ctx, q, c.view, bad, out), "sliding_window must be >= 0");
  OwnedView out_s = make_tensor(Shape{2, 4, 4});
  expect_error(cached_attention(ctx, q, c.view, p, out_s), "must have the same shape");
  expect_error(cached_attention(ctx, q, c.view, p, q), "(this op cannot run in place)");
  OwnedView q16 = make_tensor(Shape{2, 4, 8}, DType::kF16);
  expect_error(cached_attention(ctx, q16, c.view, p, out), "q must be f32");
  OwnedView out16 = make_tensor(Shape{2, 4, 8}, DType::kBF16);
  expect_error(cached_attention(ctx, q, c.view, p, out16), "out must be f32");
  const int32_t n_dev = 6;
  expect_error(with([&](KvCacheView& v) { v.device_n_kv = &n_dev; }), "device_n_kv is for CUDA");
  OwnedView qc = test::make_on_device(Shape{2, 4, 8}, Device::cuda(0));
  expect_error(cached_attention(ctx, qc, c.view, p, out), "tensors on different devices");
}

TEST(OpsKvCache, WriteArgumentErrors) {
  const OpContext ctx;
  Cache c = make_cache(4, 4, 2, 8, DType::kF16, 3, 1);  // capacity 12
  OwnedView k = make_tensor(Shape{3, 2, 8}), v = make_tensor(Shape{3, 2, 8});
  ASSERT_TRUE(kv_write(ctx, k, v, c.view, 9).is_ok());
  expect_error(kv_write(ctx, k, v, c.view, 10), "positions [10, 13) exceed the cache capacity 12");
  expect_error(kv_write(ctx, k, v, c.view, -1), "pos must be >= 0");
  OwnedView v2 = make_tensor(Shape{2, 2, 8});
  expect_error(kv_write(ctx, k, v2, c.view, 0), "must have the same shape");
  OwnedView k_h = make_tensor(Shape{3, 1, 8}), v_h = make_tensor(Shape{3, 1, 8});
  expect_error(kv_write(ctx, k_h, v_h, c.view, 0), "must be [n, n_kv_heads, head_dim]");
  OwnedView k_b = make_tensor(Shape{3, 2, 8}, DType::kBF16);
  expect_error(kv_write(ctx, k_b, v, c.view, 0), "must be f32 or the pools' dtype");
  OwnedView k2 = make_tensor(Shape{3, 16});
  expect_error(kv_write(ctx, k2, v, c.view, 0), "k_new must have rank 3");
  const int32_t dev_pos = 0;
  expect_error(kv_write(ctx, k, v, c.view, 0, &dev_pos), "device_pos is for CUDA");
  c.table.storage.as<int32_t>()[2] = 9;
  expect_error(kv_write(ctx, k, v, c.view, 7), "cache.block_table[2] = 9 is not a block");
  EXPECT_TRUE(kv_write(ctx, k, v, c.view, 0).is_ok());  // blocks 0 only: entry 2 not used
  KvCacheView same = c.view;
  same.v = same.k;
  expect_error(kv_write(ctx, k, v, same, 0), "cache.k");
  // The rows may not live inside the pool they are written to.
  Cache f = make_cache(4, 4, 2, 8, DType::kF32, 0, 1);
  auto inside = f.k.view.slice(0, 0, 1);
  ASSERT_TRUE(inside);
  auto rows = inside.value().reshape(Shape{4, 2, 8});
  ASSERT_TRUE(rows) << rows.status().to_string();
  expect_error(kv_write(ctx, rows.value(), rows.value(), f.view, 4), "overlaps");
  OwnedView kc = test::make_on_device(Shape{3, 2, 8}, Device::cuda(0));
  OwnedView vc = test::make_on_device(Shape{3, 2, 8}, Device::cuda(0));
  expect_error(kv_write(ctx, kc, vc, c.view, 0), "tensors on different devices");
}

}  // namespace
}  // namespace mistralrs
