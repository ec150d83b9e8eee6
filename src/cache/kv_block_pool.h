// A budget of KV memory shared by every session of a model, and the fixed-size blocks the
// prefix cache keeps in it. A block holds K and V for `block_size` consecutive positions in
// every layer (per-layer widths from the model's KvCache description), so a grouped-query
// model pays for its KV heads only.
//
// Budget accounting covers two kinds of use: blocks (allocate/retain/release, reference
// counted so that several owners may share one) and reservations (a session's contiguous
// working KV buffer, which the attention op needs as one [n_kv, heads, head_dim] view).
// Thread-safe: one mutex guards the counters and the block table; a block's data pointer
// stays valid until its last reference is released.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cache/cache_strategy.h"

namespace mistralrs {

class KvBlockPool {
 public:
  static constexpr int64_t kUnlimited = INT64_MAX;
  static constexpr int64_t kDefaultBlockSize = 16;

  // budget_bytes: kUnlimited or > 0. Only f32 K/V for now (the session buffers are f32).
  static Expected<std::unique_ptr<KvBlockPool>> create(const KvCache& spec, int64_t block_size,
                                                       int64_t budget_bytes);

  int64_t block_size() const { return block_size_; }
  int64_t n_layers() const { return static_cast<int64_t>(widths_.size()); }
  // Floats per K (or V) row of layer l: n_kv_heads * head_dim.
  int64_t layer_width(int64_t l) const { return widths_[static_cast<size_t>(l)]; }
  // K and V of block_size positions in every layer.
  int64_t block_bytes() const { return block_floats_ * static_cast<int64_t>(sizeof(float)); }
  int64_t budget_bytes() const { return budget_; }
  int64_t used_bytes() const;  // blocks + reservations; never above the budget
  int64_t blocks_in_use() const;

  // A new block with reference count 1, or kOutOfMemory naming the budget and the need.
  Expected<int32_t> allocate();
  void retain(int32_t block);
  void release(int32_t block);  // frees the block's memory when the count reaches 0
  int32_t ref_count(int32_t block) const;

  // K (or V) rows of `layer` in `block`: [block_size, layer_width(layer)] floats.
  float* keys(int32_t block, int64_t layer) const;
  float* values(int32_t block, int64_t layer) const;

  // Working memory outside blocks (a session's KV buffer); kOutOfMemory when it does not fit.
  Status reserve(int64_t bytes, const std::string& what);
  void unreserve(int64_t bytes);

 private:
  KvBlockPool() = default;
  Status out_of_memory(int64_t need, const std::string& what) const;  // caller holds mu_
  float* data(int32_t block) const;

  int64_t block_size_ = kDefaultBlockSize;
  int64_t budget_ = kUnlimited;
  std::vector<int64_t> widths_, offsets_;  // per layer; offsets_ in floats into a block
  int64_t block_floats_ = 0;

  mutable std::mutex mu_;
  struct Slot {
    std::unique_ptr<float[]> data;  // null when free
    int32_t refs = 0;
  };
  std::vector<Slot> slots_;
  std::vector<int32_t> free_slots_;
  int64_t used_ = 0;
  int64_t n_blocks_ = 0;
};

}  // namespace mistralrs
