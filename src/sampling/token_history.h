// The accepted tokens the penalties and DRY look back on: the newest `capacity` tokens,
// always contiguous (oldest first) so that a window is a span without copying.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace mistralrs {

class TokenHistory {
 public:
  explicit TokenHistory(size_t capacity = 0) : capacity_(capacity) { buf_.reserve(2 * capacity); }
  size_t capacity() const { return capacity_; }
  size_t size() const { return buf_.size() < capacity_ ? buf_.size() : capacity_; }
  void clear() { buf_.clear(); }
  // Amortised O(1): the buffer holds up to 2 x capacity and moves the newest half to the
  // front when full, one copy of `capacity` ids per `capacity` pushes.
  void push(int32_t token) {
    if (capacity_ == 0) return;
    if (buf_.size() == 2 * capacity_) buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(capacity_));
    buf_.push_back(token);
  }
  // The newest min(n, size()) tokens, oldest first.
  std::span<const int32_t> last(size_t n) const {
    const size_t k = n < size() ? n : size();
    return std::span<const int32_t>(buf_).subspan(buf_.size() - k, k);
  }

 private:
  size_t capacity_;
  std::vector<int32_t> buf_;
};

}  // namespace mistralrs
