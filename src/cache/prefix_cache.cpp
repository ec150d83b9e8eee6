#include "cache/prefix_cache.h"

#include <algorithm>
#include <cstring>

namespace mistralrs {

namespace {

// Root of every chain; any constant that is not a likely key works.
constexpr uint64_t kRootKey = 0x9e3779b97f4a7c15ull;

uint64_t mix(uint64_t x) {  // splitmix64 finaliser: every input bit moves every output bit
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Row `row` of a [capacity, width] f32 cache view.
float* row_ptr(const TensorView& v, int64_t row) {
  return static_cast<float*>(v.data) + row * v.strides[0];
}

}  // namespace

PrefixBlockCache::~PrefixBlockCache() {
  for (auto& [key, e] : entries_) pool_.release(e.block);
}

uint64_t PrefixBlockCache::chain_key(uint64_t parent, const int32_t* tokens, int64_t n) {
  uint64_t h = mix(parent);
  for (int64_t i = 0; i < n; ++i) h = mix(h ^ static_cast<uint32_t>(tokens[i]));
  return h;
}

PrefixBlockCache::Entry* PrefixBlockCache::find(uint64_t key, uint64_t parent, const int32_t* tokens) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  const size_t bs = static_cast<size_t>(pool_.block_size());
  if (e.parent != parent || std::memcmp(e.tokens.data(), tokens, bs * sizeof(int32_t)) != 0) return nullptr;
  return &e;
}

int64_t PrefixBlockCache::lookup(const int32_t* tokens, int64_t n, const KvStore& kv) {
  const int64_t bs = pool_.block_size();
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.lookups;
  std::vector<Entry*> hits;
  uint64_t parent = kRootKey;
  for (int64_t b = 0; (b + 1) * bs <= std::min(n, kv.capacity()); ++b) {
    const uint64_t key = chain_key(parent, tokens + b * bs, bs);
    Entry* e = find(key, parent, tokens + b * bs);
    if (!e) break;
    hits.push_back(e);
    parent = key;
  }
  for (size_t b = 0; b < hits.size(); ++b) {
    for (int64_t l = 0; l < kv.n_layers(); ++l) {
      const size_t row_bytes = static_cast<size_t>(pool_.layer_width(l)) * sizeof(float);
      const int64_t row0 = static_cast<int64_t>(b) * bs;
      for (int64_t r = 0; r < bs; ++r) {
        std::memcpy(row_ptr(kv.keys(l), row0 + r), pool_.keys(hits[b]->block, l) + r * pool_.layer_width(l), row_bytes);
        std::memcpy(row_ptr(kv.values(l), row0 + r), pool_.values(hits[b]->block, l) + r * pool_.layer_width(l),
                    row_bytes);
      }
    }
  }
  // Deeper blocks get older ticks, so eviction trims chains from their ends.
  for (size_t b = hits.size(); b-- > 0;) hits[b]->last_use = ++clock_;
  stats_.hit_blocks += static_cast<int64_t>(hits.size());
  stats_.tokens_reused += static_cast<int64_t>(hits.size()) * bs;
  return static_cast<int64_t>(hits.size()) * bs;
}

void PrefixBlockCache::publish(const int32_t* tokens, int64_t n, const KvStore& kv) {
  const int64_t bs = pool_.block_size();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry*> chain;
  uint64_t parent = kRootKey;
  for (int64_t b = 0; (b + 1) * bs <= std::min(n, kv.capacity()); ++b) {
    const int32_t* t = tokens + b * bs;
    const uint64_t key = chain_key(parent, t, bs);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      if (!find(key, parent, t)) break;  // a different prefix owns this key: stop caching here
      chain.push_back(&it->second);
      parent = key;
      continue;
    }
    // The parent is held while evicting: it may be a leaf itself until this block joins it.
    if (!chain.empty()) pool_.retain(chain.back()->block);
    const int64_t need = pool_.block_bytes();
    while (need > pool_.budget_bytes() - pool_.used_bytes() && evict_one()) {
    }
    if (!chain.empty()) pool_.release(chain.back()->block);
    auto block = pool_.allocate();
    if (!block) break;  // no room: what is cached stays, the rest is just not shared
    for (int64_t l = 0; l < kv.n_layers(); ++l) {
      const int64_t w = pool_.layer_width(l);
      for (int64_t r = 0; r < bs; ++r) {
        std::memcpy(pool_.keys(block.value(), l) + r * w, row_ptr(kv.keys(l), b * bs + r), static_cast<size_t>(w) * sizeof(float));
        std::memcpy(pool_.values(block.value(), l) + r * w, row_ptr(kv.values(l), b * bs + r), static_cast<size_t>(w) * sizeof(float));
      }
    }
    Entry e;
    e.block = block.value();
    e.parent = parent;
    e.tokens.assign(t, t + bs);
    Entry& stored = entries_.emplace(key, std::move(e)).first->second;
    if (!chain.empty()) ++chain.back()->children;
    chain.push_back(&stored);
    ++stats_.cached_blocks;
    parent = key;
  }
  for (size_t b = chain.size(); b-- > 0;) chain[b]->last_use = ++clock_;
}

bool PrefixBlockCache::evict_one() {
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const Entry& e = it->second;
    if (e.children > 0 || pool_.ref_count(e.block) > 1) continue;
    if (victim == entries_.end() || e.last_use < victim->second.last_use) victim = it;
  }
  if (victim == entries_.end()) return false;
  auto parent = entries_.find(victim->second.parent);
  if (parent != entries_.end()) --parent->second.children;
  pool_.release(victim->second.block);
  entries_.erase(victim);
  ++stats_.evictions;
  --stats_.cached_blocks;
  return true;
}

void PrefixBlockCache::make_room(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  // Evict nothing when even an empty cache could not make room: the caller fails anyway.
  int64_t evictable = 0;
  for (const auto& [key, e] : entries_) evictable += pool_.ref_count(e.block) == 1 ? pool_.block_bytes() : 0;
  if (bytes > pool_.budget_bytes() - pool_.used_bytes() + evictable) return;
  while (bytes > pool_.budget_bytes() - pool_.used_bytes() && evict_one()) {
  }
}

PrefixCacheStats PrefixBlockCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace mistralrs
