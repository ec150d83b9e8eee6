// attention: hand-derived cases (op and reference) for one key, the softmax weights, the
// causal mask, the grouped-query head mapping, the sliding window and the empty key set;
// the op against the reference over shapes, positions, windows, strided views and pools;
// argument errors.
#include <gtest/gtest.h>

#include <cmath>

#include "common/op_test_util.h"
#include "core/thread_pool.h"
#include "ops/cpu/reference.h"
#include "ops/ops.h"

namespace mistralrs {
namespace {

using test::all_close;
using test::make_tensor;
using test::OwnedView;

struct Qkv {
  OwnedView q, k, v;
};

Qkv make_qkv(int64_t n_q, int64_t n_heads, int64_t n_kv, int64_t n_kv_heads, int64_t d) {
  return {make_tensor(Shape{n_q, n_heads, d}), make_tensor(Shape{n_kv, n_kv_heads, d}),
          make_tensor(Shape{n_kv, n_kv_heads, d})};
}

// Runs the op and the reference and expects both to give `expected` (out's logical order).
void expect_attention(const Qkv& t, const AttentionParams& p, const std::vector<float>& expected) {
  OwnedView out = make_tensor(t.q.view.shape), out_ref = make_tensor(t.q.view.shape);
  const Status s = attention(OpContext{}, t.q, t.k, t.v, p, out);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_TRUE(ref::attention(t.q, t.k, t.v, p, out_ref).is_ok());
  EXPECT_TRUE(all_close(out, expected)) << "op";
  EXPECT_TRUE(all_close(out_ref, expected)) << "reference";
}

// One visible key: its softmax weight is 1, so out = v whatever q and k are.
TEST(OpsAttention, OneKeyGivesItsValue) {
  Qkv t = make_qkv(1, 1, 1, 1, 3);
  test::fill_values(t.q.view, {0.3f, -2, 5});
  test::fill_values(t.k.view, {1, 7, -1});
  test::fill_values(t.v.view, {4, -5, 6});
  expect_attention(t, AttentionParams{}, {4, -5, 6});
}

// q = [1, 0], k0 = [0, 0], k1 = [ln 3, 0], scale 1: scores [0, ln 3], weights [1/4, 3/4];
// v0 = [4, 0], v1 = [0, 8] -> out = [1, 6]. With scale 0 the default is 1/sqrt(2):
// weights proportional to [1, 3^(1/sqrt 2) = 2.1746] -> [0.31503, 0.68497] -> [1.2601, 5.4798].
TEST(OpsAttention, SoftmaxWeightsAndScale) {
  Qkv t = make_qkv(1, 1, 2, 1, 2);
  test::fill_values(t.q.view, {1, 0});
  test::fill_values(t.k.view, {0, 0, std::log(3.0f), 0});
  test::fill_values(t.v.view, {4, 0, 0, 8});
  AttentionParams p;
  p.scale = 1.0f;
  p.q_position = 1;
  expect_attention(t, p, {1, 6});
  p.scale = 0.0f;
  const double w1 = std::pow(3.0, 1.0 / std::sqrt(2.0)), s = 1 + w1;
  expect_attention(t, p, {static_cast<float>(4 / s), static_cast<float>(8 * w1 / s)});
}

// q = 0 makes every visible key weigh the same, and one-hot values (v_j = e_j) make out
// the indicator of the visible set divided by its size.
Qkv uniform_one_hot(int64_t n_q, int64_t n_kv) {
  Qkv t = make_qkv(n_q, 1, n_kv, 1, n_kv);
  for (int64_t j = 0; j < n_kv; ++j) t.v.storage.as<float>()[j * n_kv + j] = 1.0f;
  test::fill_random(t.k.view, 3);
  return t;
}

// Causal: query i (position i) averages v_0..v_i.
TEST(OpsAttention, CausalMask) {
  expect_attention(uniform_one_hot(3, 3), AttentionParams{},
                   {1, 0, 0, 0.5f, 0.5f, 0, 1 / 3.f, 1 / 3.f, 1 / 3.f});
}

// Queries at positions 3, 4, 5 over 6 keys with window 3 see keys {1,2,3}, {2,3,4},
// {3,4,5}; without the window {0..3}, {0..4}, {0..5}.
TEST(OpsAttention, SlidingWindowExcludesOldKeys) {
  const Qkv t = uniform_one_hot(3, 6);
  AttentionParams p;
  p.q_position = 3;
  p.sliding_window = 3;
  const float third = 1 / 3.f;
  expect_attention(t, p, {0, third, third, third, 0, 0,  //
                          0, 0, third, third, third, 0,  //
                          0, 0, 0, third, third, third});
  p.sliding_window = 0;
  expect_attention(t, p, {.25f, .25f, .25f, .25f, 0, 0,  //
                          .2f, .2f, .2f, .2f, .2f, 0,    //
                          1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f, 1 / 6.f});
}

// Position 10 with window 3 sees keys 8..10, none of which exist among 4: zeros. A query
// past the cache without a window sees all 4 keys.
TEST(OpsAttention, NoVisibleKeyGivesZeros) {
  const Qkv t = uniform_one_hot(1, 4);
  AttentionParams p;
  p.q_position = 10;
  p.sliding_window = 3;
  expect_attention(t, p, {0, 0, 0, 0});
  p.sliding_window = 0;
  expect_attention(t, p, {.25f, .25f, .25f, .25f});
}

// 4 query heads over 2 kv heads: heads 0, 1 read kv head 0 (values 10), heads 2, 3 read
// kv head 1 (values 20).
TEST(OpsAttention, GroupedQueryHeadMapping) {
  Qkv t = make_qkv(1, 4, 1, 2, 2);
  test::fill_random(t.q.view, 1);
  test::fill_values(t.v.view, {10, 10, 20, 20});
  expect_attention(t, AttentionParams{}, {10, 10, 10, 10, 20, 20, 20, 20});
}

struct AttnCase {
  int64_t n_q, n_heads, n_kv, n_kv_heads, head_dim, q_position, window;
};

// The op vs the reference for one case, contiguous or with every row padded, with and
// without a pool.
void expect_matches_reference(const AttnCase& c, ThreadPool* pool, bool padded) {
  SCOPED_TRACE("n_q " + std::to_string(c.n_q) + " heads " + std::to_string(c.n_heads) + "/" +
               std::to_string(c.n_kv_heads) + " n_kv " + std::to_string(c.n_kv) + " d " +
               std::to_string(c.head_dim) + " pos " + std::to_string(c.q_position) + " window " +
               std::to_string(c.window) + (padded ? " padded" : "") + (pool ? " pool=2" : ""));
  auto make = [&](Shape s, int64_t pad) { return padded ? test::make_padded(s, pad) : make_tensor(s); };
  OwnedView q = make(Shape{c.n_q, c.n_heads, c.head_dim}, 1);
  OwnedView k = make(Shape{c.n_kv, c.n_kv_heads, c.head_dim}, 2);
  OwnedView v = make(Shape{c.n_kv, c.n_kv_heads, c.head_dim}, 5);
  OwnedView out = make(Shape{c.n_q, c.n_heads, c.head_dim}, 3);
  test::fill_random(q.view, 21, -2, 2);
  test::fill_random(k.view, 22, -2, 2);
  test::fill_random(v.view, 23);
  AttentionParams p;
  p.q_position = c.q_position;
  p.sliding_window = c.window;
  OwnedView expected = make_tensor(q.view.shape);
  ASSERT_TRUE(ref::attention(q, k, v, p, expected).is_ok());
  const Status s = attention(OpContext{pool, nullptr}, q, k, v, p, out);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  EXPECT_TRUE(all_close(out, expected));
  if (padded) EXPECT_TRUE(test::padding_intact(out));
}

TEST(OpsAttention, MatchesReference) {
  const std::vector<AttnCase> cases = {
      {1, 1, 1, 1, 1, 0, 0},        {1, 1, 1, 1, 17, 0, 0},      {3, 2, 3, 2, 33, 0, 0},
      {5, 4, 9, 1, 16, 4, 0},       {5, 4, 9, 2, 64, 4, 3},      {1, 8, 100, 2, 128, 99, 0},
      {1, 8, 100, 2, 128, 99, 32},  {17, 6, 17, 3, 80, 0, 5},    {64, 4, 64, 4, 64, 0, 0},
      {2, 2, 0, 1, 8, 0, 0},        {4, 3, 6, 3, 7, 10, 8},      {33, 2, 40, 1, 96, 7, 0},
      // group sizes that the CPU path splits into slots differently: 12 (6 per slot),
      // 16 (8 per slot), 9 (odd: 1 per slot), and decode with too few slots for the pool.
      {3, 12, 5, 1, 8, 2, 0},       {2, 16, 7, 1, 32, 5, 4},     {2, 9, 4, 1, 8, 0, 0},
      {1, 32, 50, 4, 64, 49, 0}};
  ThreadPool pool2(2);
  for (const AttnCase& c : cases)
    for (bool padded : {false, true})
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2})
        expect_matches_reference(c, pool, padded);
}

// q, k and v as head slices of one fused [tokens, 3 * heads, d] buffer (strided rows).
TEST(OpsAttention, FusedQkvSlices) {
  OwnedView qkv = make_tensor(Shape{6, 3 * 4, 16});
  test::fill_random(qkv.view, 8);
  const TensorView q = qkv.view.slice(1, 0, 4).value();
  const TensorView k = qkv.view.slice(1, 4, 8).value();
  const TensorView v = qkv.view.slice(1, 8, 12).value();
  OwnedView out = make_tensor(Shape{6, 4, 16}), expected = make_tensor(Shape{6, 4, 16});
  ASSERT_TRUE(ref::attention(q, k, v, AttentionParams{}, expected).is_ok());
  ASSERT_TRUE(attention(OpContext{}, q, k, v, AttentionParams{}, out).is_ok());
  EXPECT_TRUE(all_close(out, expected));
}

TEST(OpsAttention, ArgumentErrors) {
  const OpContext ctx;
  Qkv t = make_qkv(2, 4, 3, 2, 8);
  OwnedView out = make_tensor(Shape{2, 4, 8});
  EXPECT_EQ(attention(ctx, t.q, t.k, t.v, AttentionParams{}, out).code(), StatusCode::kOk);
  Qkv bad_gqa = make_qkv(2, 4, 3, 3, 8);
  const Status s = attention(ctx, bad_gqa.q, bad_gqa.k, bad_gqa.v, AttentionParams{}, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("f32[3, 3, 8]@cpu"), std::string::npos) << s.message();
  Qkv bad_d = make_qkv(2, 4, 3, 2, 8);
  bad_d.k = make_tensor(Shape{3, 2, 4});
  bad_d.v = make_tensor(Shape{3, 2, 4});
  EXPECT_EQ(attention(ctx, bad_d.q, bad_d.k, bad_d.v, AttentionParams{}, out).code(),
            StatusCode::kInvalidArgument);
  OwnedView v_other = make_tensor(Shape{2, 2, 8});  // k and v differ in n_kv
  EXPECT_EQ(attention(ctx, t.q, t.k, v_other, AttentionParams{}, out).code(), StatusCode::kInvalidArgument);
  OwnedView out_wrong = make_tensor(Shape{2, 2, 8});
  EXPECT_EQ(attention(ctx, t.q, t.k, t.v, AttentionParams{}, out_wrong).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(attention(ctx, t.q, t.k, t.v, AttentionParams{}, t.q).code(), StatusCode::kInvalidArgument);  // out = q
  AttentionParams p;
  p.sliding_window = -1;
  EXPECT_EQ(attention(ctx, t.q, t.k, t.v, p, out).code(), StatusCode::kInvalidArgument);
  p = AttentionParams{};
  p.q_position = -1;
  EXPECT_EQ(attention(ctx, t.q, t.k, t.v, p, out).code(), StatusCode::kInvalidArgument);
  p = AttentionParams{};
  p.scale = INFINITY;
  EXPECT_EQ(attention(ctx, t.q, t.k, t.v, p, out).code(), StatusCode::kInvalidArgument);
  OwnedView q2 = make_tensor(Shape{2, 32});
  EXPECT_EQ(attention(ctx, q2, t.k, t.v, AttentionParams{}, out).code(), StatusCode::kInvalidArgument);
  OwnedView qc = test::make_on_device(Shape{2, 4, 8}, Device::cuda(0));
  EXPECT_EQ(attention(ctx, qc, t.k, t.v, AttentionParams{}, out).code(), StatusCode::kInvalidArgument);
  OwnedView kc = test::make_on_device(Shape{3, 2, 8}, Device::cuda(0));
  OwnedView vc = test::make_on_device(Shape{3, 2, 8}, Device::cuda(0));
  OwnedView oc = test::make_on_device(Shape{2, 4, 8}, Device::cuda(0));
  EXPECT_EQ(attention(ctx, qc, kc, vc, AttentionParams{}, oc).code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace mistralrs
