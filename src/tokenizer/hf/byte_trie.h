// A byte trie for prefix matching (Unigram's pieces, added tokens). Transitions live in one hash
// map keyed by (node, byte); a terminal node holds a value.
#pragma once
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mistralrs::hf {

class ByteTrie {
 public:
  // A later insert of the same bytes replaces the value.
  void insert(std::string_view s, int32_t value) {
    int32_t node = 0;
    for (unsigned char c : s) {
      auto [it, added] = next_.try_emplace(key(node, c), static_cast<int32_t>(value_.size()));
      if (added) value_.push_back(-1);
      node = it->second;
    }
    value_[size_t(node)] = value;
    if (!s.empty()) first_byte_[static_cast<unsigned char>(s[0])] = true;
  }
  bool empty() const { return value_.size() == 1; }
  // Whether some key starts with byte c.
  bool starts_with(unsigned char c) const { return first_byte_[c]; }
  // Calls f(length, value) for every key that is a prefix of s, shortest first.
  template <class F>
  void prefixes(std::string_view s, F&& f) const {
    int32_t node = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      auto it = next_.find(key(node, static_cast<unsigned char>(s[i])));
      if (it == next_.end()) return;
      node = it->second;
      if (value_[size_t(node)] >= 0) f(i + 1, value_[size_t(node)]);
    }
  }

 private:
  static uint64_t key(int32_t node, unsigned char c) { return (uint64_t(uint32_t(node)) << 8) | c; }
  std::unordered_map<uint64_t, int32_t> next_;
  std::vector<int32_t> value_{-1};
  bool first_byte_[256] = {};
};

}  // namespace mistralrs::hf
