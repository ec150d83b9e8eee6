// Full KV blocks of earlier prompts, shared by every session of a model, so that a request
// starting with a cached prefix computes only the rest.
//
// A block is keyed by a 64-bit hash chained over its tokens and its prefix's key, so a key
// names the whole prefix. A hit also compares the stored tokens and parent key, so a hash
// collision costs a miss, never wrong K/V. Keys and values of a position depend only on the
// tokens up to it (matmul and RoPE are row-independent), so copied rows equal recomputed
// ones bit for bit.
//
// Eviction: least recently used first, only blocks that no other block extends (leaves) and
// that nobody else references; a lookup touches a chain from its end to its start, so the
// deepest block of the coldest chain goes first. Eviction scans all entries: O(blocks),
// fine for the thousands of blocks a CPU budget holds.
// Thread-safe: one mutex; copies into a session's buffer happen under it.
#pragma once
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cache/kv_block_pool.h"
#include "cache/kv_cache.h"

namespace mistralrs {

struct PrefixCacheStats {
  int64_t lookups = 0;        // lookup() calls
  int64_t hit_blocks = 0;     // blocks copied out
  int64_t tokens_reused = 0;  // hit_blocks * block_size
  int64_t evictions = 0;      // blocks dropped to make room
  int64_t cached_blocks = 0;  // blocks held now
};

class PrefixBlockCache {
 public:
  explicit PrefixBlockCache(KvBlockPool& pool) : pool_(pool) {}
  ~PrefixBlockCache();
  PrefixBlockCache(const PrefixBlockCache&) = delete;
  PrefixBlockCache& operator=(const PrefixBlockCache&) = delete;

  // Copies the K/V of the longest run of cached leading full blocks of tokens[0, n) into rows
  // [0, m) of `kv` and returns m (a multiple of the block size, <= n).
  int64_t lookup(const int32_t* tokens, int64_t n, const KvStore& kv);
  // Stores the full blocks of tokens[0, n), whose K/V are rows [0, n) of `kv`; blocks already
  // cached are only touched. Stops quietly when the budget has no room even after eviction.
  void publish(const int32_t* tokens, int64_t n, const KvStore& kv);
  // Evicts unreferenced blocks until `bytes` more fit in the pool's budget; evicts nothing
  // when they would not fit even then.
  void make_room(int64_t bytes);

  PrefixCacheStats stats() const;
  KvBlockPool& pool() const { return pool_; }

 private:
  struct Entry {
    int32_t block = -1;
    uint64_t parent = 0;
    std::vector<int32_t> tokens;  // block_size tokens, compared on every hit
    uint64_t last_use = 0;
    int32_t children = 0;
  };
  static uint64_t chain_key(uint64_t parent, const int32_t* tokens, int64_t n);
  // The entry at `key` if it holds `tokens` after `parent`, else null (caller holds mu_).
  Entry* find(uint64_t key, uint64_t parent, const int32_t* tokens);
  bool evict_one();  // caller holds mu_

  KvBlockPool& pool_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t clock_ = 0;
  PrefixCacheStats stats_;
};

}  // namespace mistralrs
