#include "cache/kv_block_pool.h"

namespace mistralrs {

Expected<std::unique_ptr<KvBlockPool>> KvBlockPool::create(const KvCache& spec, int64_t block_size,
                                                           int64_t budget_bytes) {
  if (block_size <= 0) return invalid_argument("KV block size must be positive");
  if (budget_bytes <= 0) return invalid_argument("KV budget must be positive (or unlimited)");
  if (spec.dtype != DType::kF32) return unsupported("KV blocks must be f32 for now");
  auto p = std::unique_ptr<KvBlockPool>(new KvBlockPool());
  p->block_size_ = block_size;
  p->budget_ = budget_bytes;
  // Layout of one block: for each layer, K rows then V rows, each [block_size, width].
  for (const KvLayerShape& l : spec.layers) {
    const int64_t w = l.n_kv_heads * l.head_dim;
    p->widths_.push_back(w);
    p->offsets_.push_back(p->block_floats_);
    p->block_floats_ += 2 * block_size * w;
  }
  return p;
}

int64_t KvBlockPool::used_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

int64_t KvBlockPool::blocks_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return n_blocks_;
}

Status KvBlockPool::out_of_memory(int64_t need, const std::string& what) const {
  return Status(StatusCode::kOutOfMemory,
                "KV budget exhausted: " + what + " needs " + std::to_string(need) + " bytes, " +
                    std::to_string(used_) + " of the budget of " + std::to_string(budget_) +
                    " bytes are in use");
}

Expected<int32_t> KvBlockPool::allocate() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t need = block_bytes();
  if (need > budget_ - used_) return out_of_memory(need, "a KV block");
  int32_t id;
  if (!free_slots_.empty()) {
    id = free_slots_.back();
    free_slots_.pop_back();
  } else {
    id = static_cast<int32_t>(slots_.size());
    slots_.emplace_back();
  }
  // Uninitialised on purpose: the owner writes every row before anyone reads it.
  slots_[static_cast<size_t>(id)].data.reset(new float[static_cast<size_t>(block_floats_)]);
  slots_[static_cast<size_t>(id)].refs = 1;
  used_ += need;
  ++n_blocks_;
  return id;
}

void KvBlockPool::retain(int32_t block) {
  std::lock_guard<std::mutex> lock(mu_);
  ++slots_.at(static_cast<size_t>(block)).refs;
}

void KvBlockPool::release(int32_t block) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& s = slots_.at(static_cast<size_t>(block));
  if (s.refs <= 0 || --s.refs > 0) return;
  s.data.reset();
  free_slots_.push_back(block);
  used_ -= block_bytes();
  --n_blocks_;
}

int32_t KvBlockPool::ref_count(int32_t block) const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.at(static_cast<size_t>(block)).refs;
}

float* KvBlockPool::data(int32_t block) const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.at(static_cast<size_t>(block)).data.get();
}

float* KvBlockPool::keys(int32_t block, int64_t layer) const {
  return data(block) + offsets_[static_cast<size_t>(layer)];
}

float* KvBlockPool::values(int32_t block, int64_t layer) const {
  return keys(block, layer) + block_size_ * widths_[static_cast<size_t>(layer)];
}

Status KvBlockPool::reserve(int64_t bytes, const std::string& what) {
  if (bytes < 0) return invalid_argument("negative KV reservation");
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes > budget_ - used_) return out_of_memory(bytes, what);
  used_ += bytes;
  return Status::ok();
}

void KvBlockPool::unreserve(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  used_ -= bytes;
}

}  // namespace mistralrs
