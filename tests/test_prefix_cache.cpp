// The prefix cache: bitwise-identical logits with and without reuse on the llama_gqa GGUF
// f32 fixture (K/V of a position depend only on the tokens up to it, and matmul and RoPE
// are row-independent, so copied rows equal recomputed ones even though the prefill chunks
// start at different positions), LRU eviction of leaves, the budget, and sharing across
// threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "cache/prefix_cache.h"
#include "common/paths.h"
#include "pipeline/text_session.h"

namespace mistralrs {
namespace {

constexpr int64_t kVocab = 320;  // llama_gqa's vocabulary
// Prefill chunk. Bitwise equality needs a multiple of 4: the f32 matmul computes rows in
// tiles of 4 and a row alone in its tile (mr = 1, decode's case) sums in a different order;
// with chunks at absolute multiples of 8 every row lands in the same tile in both runs.
constexpr int64_t kChunk = 8;

std::string fixture() { return testing::fixture_path("text/llama_gqa/gguf_f32.gguf"); }

// Deterministic pseudo-random tokens; `seed` changes the whole sequence.
std::vector<int32_t> tokens(size_t n, uint32_t seed) {
  std::vector<int32_t> t(n);
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto& v : t) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<int32_t>((x >> 8) % kVocab);
  }
  return t;
}

std::unique_ptr<TextModel> load(bool prefix, int64_t budget = KvBlockPool::kUnlimited) {
  CacheOptions o;
  o.prefix_cache = prefix;
  o.budget_bytes = budget;
  auto m = TextModel::load(fixture(), o);
  EXPECT_TRUE(m) << m.status().to_string();
  return m ? std::move(m.value()) : nullptr;
}

// Last-position logits of `prompt` in a fresh session, then of `decode` more greedy-free
// steps (fixed tokens), all concatenated.
std::vector<float> run(const TextModel& m, ThreadPool& pool, const std::vector<int32_t>& prompt,
                       int64_t chunk = kChunk) {
  auto s = TextSession::create(m, &pool, 128, chunk);
  EXPECT_TRUE(s) << s.status().to_string();
  std::vector<float> out(static_cast<size_t>(kVocab) * 3);
  EXPECT_TRUE(s.value()->eval(prompt.data(), prompt.size(), out.data()).is_ok());
  // Two decode steps read the copied rows through attention as well.
  for (int i = 1; i < 3; ++i) {
    const int32_t t = static_cast<int32_t>((prompt.size() * 7 + static_cast<size_t>(i)) % kVocab);
    EXPECT_TRUE(s.value()->eval(&t, 1, out.data() + i * kVocab).is_ok());
  }
  return out;
}

void expect_bitwise(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
      ADD_FAILURE() << what << ": first difference at " << i << ": expected " << b[i] << ", got " << a[i];
      return;
    }
}

// A 70-token prompt is cached; then prompts sharing 0 tokens, part of a block, exactly two
// blocks and the whole prompt reuse 0, 0, 32 and 64 tokens (the last token is always
// computed) and give the logits of a cache-less model bit for bit.
TEST(PrefixCache, LogitsBitwiseIdenticalWithReuse) {
  auto cached = load(true), plain = load(false);
  ASSERT_TRUE(cached && plain);
  ThreadPool pool(2);
  const std::vector<int32_t> base = tokens(70, 1);
  expect_bitwise(run(*cached, pool, base), run(*plain, pool, base), "first request");
  struct Case {
    size_t shared;
    int64_t reused;
  };
  int64_t total = 0;
  for (const Case c : {Case{0, 0}, Case{10, 0}, Case{32, 32}, Case{70, 64}}) {
    std::vector<int32_t> p = tokens(60, 100 + static_cast<uint32_t>(c.shared));
    if (c.shared == 70) p = base;
    std::copy(base.begin(), base.begin() + static_cast<long>(c.shared), p.begin());
    const int64_t before = cached->prefix_cache->stats().tokens_reused;
    const auto got = run(*cached, pool, p);
    EXPECT_EQ(cached->prefix_cache->stats().tokens_reused - before, c.reused) << "shared " << c.shared;
    total += c.reused;
    expect_bitwise(got, run(*plain, pool, p), ("shared " + std::to_string(c.shared)).c_str());
  }
  EXPECT_EQ(cached->prefix_cache->stats().tokens_reused, total);
  EXPECT_EQ(cached->prefix_cache->stats().lookups, 5);
}

// A prompt of exactly 4 blocks reuses 3: the last block holds the token whose logits we need.
TEST(PrefixCache, WholeBlockPromptKeepsLastTokenComputed) {
  auto cached = load(true), plain = load(false);
  ASSERT_TRUE(cached && plain);
  ThreadPool pool(2);
  const std::vector<int32_t> p = tokens(64, 7);
  run(*cached, pool, p);
  const auto got = run(*cached, pool, p);
  EXPECT_EQ(cached->prefix_cache->stats().tokens_reused, 48);
  expect_bitwise(got, run(*plain, pool, p), "64-token prompt");
}

// Session buffers are charged to the budget and returned when sessions end; the cached
// blocks stay; a session that does not fit gets kOutOfMemory and the others keep working.
TEST(PrefixCache, BudgetCoversSessionsAndBlocks) {
  auto probe = load(true);
  ASSERT_TRUE(probe);
  ThreadPool pool(2);
  auto s0 = TextSession::create(*probe, &pool, 128, kChunk);
  ASSERT_TRUE(s0);
  const int64_t session_bytes = s0.value()->kv_bytes();
  const int64_t block_bytes = probe->kv_pool->block_bytes();
  s0.value().reset();
  EXPECT_EQ(probe->kv_pool->used_bytes(), 0);

  // Room for one session and 2 blocks.
  auto m = load(true, session_bytes + 2 * block_bytes);
  ASSERT_TRUE(m);
  auto a = TextSession::create(*m, &pool, 128, kChunk);
  ASSERT_TRUE(a);
  const std::vector<int32_t> p = tokens(50, 3);  // 3 full blocks: only 2 fit
  ASSERT_TRUE(a.value()->eval(p.data(), p.size(), nullptr).is_ok());
  EXPECT_EQ(m->prefix_cache->stats().cached_blocks, 2);
  EXPECT_LE(m->kv_pool->used_bytes(), m->kv_pool->budget_bytes());
  auto b = TextSession::create(*m, &pool, 128, kChunk);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.status().code(), StatusCode::kOutOfMemory);
  EXPECT_NE(b.status().message().find(std::to_string(session_bytes + 2 * block_bytes)), std::string::npos)
      << b.status().message();
  // The first session keeps its tokens and continues.
  const int32_t t = 5;
  EXPECT_TRUE(a.value()->eval(&t, 1, nullptr).is_ok());
  EXPECT_EQ(a.value()->n_past(), 51);
  a.value().reset();
  EXPECT_EQ(m->kv_pool->used_bytes(), 2 * block_bytes);  // blocks outlive the session
  // A new session evicts cached blocks to fit.
  auto c = TextSession::create(*m, &pool, 128, kChunk);
  ASSERT_TRUE(c) << c.status().to_string();
  EXPECT_EQ(m->prefix_cache->stats().evictions, 0);  // session + 2 blocks fit exactly
  EXPECT_LE(m->kv_pool->used_bytes(), m->kv_pool->budget_bytes());
}

// 4 threads x 3 sessions each, prompts sharing a 48-token prefix with different tails: every
// result equals the cache-less model's bit for bit, and blocks were shared.
TEST(PrefixCache, SessionsOnSeveralThreadsShareBlocks) {
  auto cached = load(true), plain = load(false);
  ASSERT_TRUE(cached && plain);
  const std::vector<int32_t> prefix = tokens(48, 9);
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<float>> expected;
  ThreadPool ref_pool(1);
  for (uint32_t i = 0; i < 12; ++i) {
    std::vector<int32_t> p = prefix;
    const auto tail = tokens(5 + i, 50 + i);
    p.insert(p.end(), tail.begin(), tail.end());
    prompts.push_back(p);
    expected.push_back(run(*plain, ref_pool, p));
  }
  std::vector<std::vector<float>> got(prompts.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      ThreadPool pool(1);
      for (size_t i = t; i < prompts.size(); i += 4) got[i] = run(*cached, pool, prompts[i]);
    });
  for (auto& th : threads) th.join();
  for (size_t i = 0; i < prompts.size(); ++i) expect_bitwise(got[i], expected[i], "threaded");
  EXPECT_GT(cached->prefix_cache->stats().hit_blocks, 0);
  EXPECT_EQ(cached->kv_pool->used_bytes(),
            cached->prefix_cache->stats().cached_blocks * cached->kv_pool->block_bytes());
}

// With a chunk that is not a multiple of the matmul's row tile, rows may land in different
// tiles (a single-row tile sums in another order): equal up to f32 rounding, not bitwise.
TEST(PrefixCache, OddChunkEqualUpToRounding) {
  auto cached = load(true), plain = load(false);
  ASSERT_TRUE(cached && plain);
  ThreadPool pool(2);
  const std::vector<int32_t> p = tokens(61, 11);
  run(*cached, pool, p, 7);
  const auto got = run(*cached, pool, p, 7), want = run(*plain, pool, p, 7);
  EXPECT_EQ(cached->prefix_cache->stats().tokens_reused, 48);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 + 1e-5 * std::abs(want[i])) << "at " << i;
}

TEST(PrefixCache, StrategyReportsPrefixWhenOn) {
  auto cached = load(true), plain = load(false);
  ASSERT_TRUE(cached && plain);
  const CacheStrategy on = cached->cache_strategy(), off = plain->cache_strategy();
  ASSERT_TRUE(std::holds_alternative<PrefixCache>(on));
  EXPECT_EQ(std::get<PrefixCache>(on).block_size, 16);
  EXPECT_TRUE(std::holds_alternative<KvCache>(off));
}


// A one-layer, 2-float-wide cache whose rows hold their position, for eviction tests.
struct Synthetic {
  KvCache spec;
  std::unique_ptr<KvBlockPool> pool;
  KvStore kv;
  explicit Synthetic(int64_t budget_blocks) {
    spec.layers = {{1, 2, 0}};
    pool = KvBlockPool::create(spec, 16, budget_blocks * 16 * 2 * 2 * 4).value();
    kv = KvStore::create(spec, 64).value();
    float* k = kv.keys(0).as<float>();
    float* v = kv.values(0).as<float>();
    for (int64_t i = 0; i < 64 * 2; ++i) k[i] = static_cast<float>(i), v[i] = -static_cast<float>(i);
  }
};

std::vector<int32_t> seq(int32_t first, size_t n) {
  std::vector<int32_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = first + static_cast<int32_t>(i);
  return t;
}

// Least recently used leaves go first; a block another block extends stays until its
// children are gone; the budget is never exceeded; copied rows are the published ones.
TEST(PrefixCacheEviction, LeastRecentlyUsedLeavesFirst) {
  Synthetic s(3);
  PrefixBlockCache cache(*s.pool);
  const auto x = seq(0, 32), y = seq(100, 16), z = seq(200, 16), w = seq(300, 16);
  cache.publish(x.data(), 32, s.kv);  // X0 <- X1
  cache.publish(y.data(), 16, s.kv);
  EXPECT_EQ(cache.stats().cached_blocks, 3);
  KvStore out = KvStore::create(s.spec, 64).value();
  EXPECT_EQ(cache.lookup(x.data(), 32, out), 32);  // X is now newer than Y
  EXPECT_EQ(out.keys(0).as<float>()[31 * 2 + 1], 63.0f);
  EXPECT_EQ(out.values(0).as<float>()[5], -5.0f);
  cache.publish(z.data(), 16, s.kv);  // evicts Y, the oldest leaf
  EXPECT_EQ(cache.stats().evictions, 1);
  EXPECT_EQ(cache.lookup(y.data(), 16, out), 0);
  EXPECT_EQ(cache.lookup(x.data(), 32, out), 32);
  EXPECT_LE(s.pool->used_bytes(), s.pool->budget_bytes());
  // Leaves now: X1 (just used) and Z (older): Z goes; X0 is never evicted before X1.
  cache.publish(w.data(), 16, s.kv);
  EXPECT_EQ(cache.lookup(z.data(), 16, out), 0);
  EXPECT_EQ(cache.lookup(x.data(), 32, out), 32);
  cache.publish(y.data(), 16, s.kv);  // leaves: W (older), X1: W goes
  EXPECT_EQ(cache.lookup(w.data(), 16, out), 0);
  cache.publish(z.data(), 16, s.kv);  // leaves: X1 (older) and Y: X1 goes
  EXPECT_EQ(cache.lookup(x.data(), 32, out), 16);  // X0 survived its child
  EXPECT_EQ(cache.stats().evictions, 4);
  EXPECT_EQ(s.pool->blocks_in_use(), 3);
  EXPECT_LE(s.pool->used_bytes(), s.pool->budget_bytes());
}

// Keys are checked against the stored tokens: a block with the same tokens after a
// different prefix is a different block.
TEST(PrefixCacheEviction, PrefixMattersNotJustTheBlock) {
  Synthetic s(8);
  PrefixBlockCache cache(*s.pool);
  auto a = seq(0, 32), b = seq(0, 32);
  b[3] = 999;  // same second block, different first block
  cache.publish(a.data(), 32, s.kv);
  KvStore out = KvStore::create(s.spec, 64).value();
  EXPECT_EQ(cache.lookup(b.data(), 32, out), 0);
  EXPECT_EQ(cache.lookup(a.data(), 31, out), 16);  // only full blocks within n
  EXPECT_EQ(cache.stats().lookups, 2);
  EXPECT_EQ(cache.stats().hit_blocks, 1);
}

}  // namespace
}  // namespace mistralrs
