// KvBlockPool: block sizes from the KvCache description, the byte budget (blocks and
// reservations together), reference counts, concurrent use, and a session's reservation.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "cache/kv_block_pool.h"
#include "common/paths.h"
#include "pipeline/text_session.h"

namespace mistralrs {
namespace {

// Two layers with different shapes: widths 2*4 = 8 and 1*8 = 8 floats per row.
KvCache two_layer_spec() {
  KvCache kv;
  kv.layers = {{2, 4, 0}, {1, 8, 0}};
  return kv;
}

// 16 tokens x (K + V) x (8 + 8) floats x 4 bytes = 2048 bytes.
constexpr int64_t kBlockBytes = 16 * 2 * 16 * 4;

TEST(KvBlockPool, BlockShapesFromSpec) {
  auto p = KvBlockPool::create(two_layer_spec(), 16, KvBlockPool::kUnlimited);
  ASSERT_TRUE(p) << p.status().to_string();
  EXPECT_EQ(p.value()->block_bytes(), kBlockBytes);
  EXPECT_EQ(p.value()->layer_width(0), 8);
  EXPECT_EQ(p.value()->layer_width(1), 8);
  auto b = p.value()->allocate();
  ASSERT_TRUE(b);
  // Layer 0: K at 0, V at 16*8; layer 1 K at 2*16*8: distinct, in-block regions.
  EXPECT_EQ(p.value()->values(b.value(), 0) - p.value()->keys(b.value(), 0), 16 * 8);
  EXPECT_EQ(p.value()->keys(b.value(), 1) - p.value()->keys(b.value(), 0), 2 * 16 * 8);
  p.value()->release(b.value());
}

TEST(KvBlockPool, RejectsBadArguments) {
  EXPECT_FALSE(KvBlockPool::create(two_layer_spec(), 0, 1024));
  EXPECT_FALSE(KvBlockPool::create(two_layer_spec(), 16, 0));
  KvCache f16 = two_layer_spec();
  f16.dtype = DType::kF16;
  EXPECT_FALSE(KvBlockPool::create(f16, 16, 1024));
}

TEST(KvBlockPool, BudgetExhaustionIsAClearStatus) {
  auto p = KvBlockPool::create(two_layer_spec(), 16, 3 * kBlockBytes);
  ASSERT_TRUE(p);
  KvBlockPool& pool = *p.value();
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto b = pool.allocate();
    ASSERT_TRUE(b) << b.status().to_string();
    ids.push_back(b.value());
  }
  EXPECT_EQ(pool.used_bytes(), 3 * kBlockBytes);
  auto over = pool.allocate();
  ASSERT_FALSE(over);
  EXPECT_EQ(over.status().code(), StatusCode::kOutOfMemory);
  EXPECT_NE(over.status().message().find(std::to_string(3 * kBlockBytes)), std::string::npos)
      << over.status().message();  // names the budget
  EXPECT_NE(over.status().message().find(std::to_string(kBlockBytes)), std::string::npos);
  // Reservations share the budget.
  EXPECT_EQ(pool.reserve(1, "x").code(), StatusCode::kOutOfMemory);
  pool.release(ids[0]);
  EXPECT_TRUE(pool.reserve(kBlockBytes, "a session").is_ok());
  EXPECT_FALSE(pool.allocate());
  pool.unreserve(kBlockBytes);
  auto again = pool.allocate();
  ASSERT_TRUE(again);
  for (int32_t id : {again.value(), ids[1], ids[2]}) pool.release(id);
  EXPECT_EQ(pool.used_bytes(), 0);
  EXPECT_EQ(pool.blocks_in_use(), 0);
}

TEST(KvBlockPool, ReferenceCountsShareBlocks) {
  auto p = KvBlockPool::create(two_layer_spec(), 16, KvBlockPool::kUnlimited);
  ASSERT_TRUE(p);
  KvBlockPool& pool = *p.value();
  const int32_t b = pool.allocate().value();
  pool.retain(b);
  EXPECT_EQ(pool.ref_count(b), 2);
  pool.release(b);
  EXPECT_EQ(pool.blocks_in_use(), 1);  // still held by its other owner
  pool.release(b);
  EXPECT_EQ(pool.blocks_in_use(), 0);
  EXPECT_EQ(pool.used_bytes(), 0);
  // A freed slot is reused.
  EXPECT_EQ(pool.allocate().value(), b);
  pool.release(b);
}

// 4 threads allocate, write, share and free blocks at random under a budget of 8 blocks:
// usage never exceeds the budget and returns to zero (run under TSan for data races).
TEST(KvBlockPool, ConcurrentUseStaysWithinBudget) {
  auto p = KvBlockPool::create(two_layer_spec(), 16, 8 * kBlockBytes);
  ASSERT_TRUE(p);
  KvBlockPool& pool = *p.value();
  std::atomic<bool> over{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t));
      std::vector<int32_t> mine;
      for (int i = 0; i < 2000; ++i) {
        if (mine.empty() || rng() % 2 == 0) {
          auto b = pool.allocate();
          if (b) {
            pool.keys(b.value(), 1)[0] = static_cast<float>(t);
            if (rng() % 4 == 0) pool.retain(b.value()), mine.push_back(b.value());
            mine.push_back(b.value());
          }
        } else {
          pool.release(mine.back());
          mine.pop_back();
        }
        if (pool.used_bytes() > pool.budget_bytes()) over = true;
      }
      for (int32_t b : mine) pool.release(b);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(over.load());
  EXPECT_EQ(pool.used_bytes(), 0);
  EXPECT_EQ(pool.blocks_in_use(), 0);
}


// A session's reserved KV bytes are exactly rows x sum over layers of K+V bytes per token
// (grouped-query: KV heads only), where rows is the context, or for a sliding-window model
// window + prefill chunk (mistral_swa: 16 + 16 of a 100-token context).
TEST(KvBlockPool, SessionBytesMatchTheSpec) {
  for (const char* name : {"llama_gqa", "mistral_swa"}) {
    auto m = TextModel::load(testing::fixture_path(std::string("text/") + name + "/gguf_f32.gguf"));
    ASSERT_TRUE(m) << m.status().to_string();
    const ModelConfigMetadata meta = m.value()->model->metadata();
    auto spec = kv_cache_spec(meta.cache_strategy);
    ASSERT_TRUE(spec);
    int64_t per_token = 0;
    for (size_t l = 0; l < spec.value()->layers.size(); ++l) per_token += spec.value()->bytes_per_token(l);
    EXPECT_EQ(per_token, static_cast<int64_t>(spec.value()->layers.size()) * 2 * meta.n_kv_heads * meta.head_dim * 4);
    ThreadPool pool(1);
    auto s = TextSession::create(*m.value(), &pool, 100, 16);
    ASSERT_TRUE(s);
    const int64_t rows = meta.sliding_window > 0 ? std::min<int64_t>(100, meta.sliding_window + 16) : 100;
    EXPECT_EQ(rows, std::string(name) == "mistral_swa" ? 32 : 100);
    EXPECT_EQ(s.value()->context_length(), 100);
    EXPECT_EQ(s.value()->kv_bytes(), rows * per_token) << name;
    EXPECT_EQ(m.value()->kv_pool->used_bytes(), rows * per_token) << name;
    s.value().reset();
    EXPECT_EQ(m.value()->kv_pool->used_bytes(), 0) << name;
  }
}

}  // namespace
}  // namespace mistralrs
