// Test helper: builds GGUF files in memory from a description, following the GGUF spec
// (ggml docs/gguf.md) directly, so that the reader is checked against an independent
// encoder. Also a little-endian byte builder for hand-made (malformed) files.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace mistralrs::testing {

using Bytes = std::vector<uint8_t>;

// Appends little-endian scalars and GGUF strings (u64 length + bytes).
class ByteSink {
 public:
  template <class T>
  ByteSink& put(T v) {
    const size_t n = b_.size();
    b_.resize(n + sizeof(T));
    std::memcpy(b_.data() + n, &v, sizeof(T));
    return *this;
  }
  ByteSink& u8(uint8_t v) { return put(v); }
  ByteSink& u32(uint32_t v) { return put(v); }
  ByteSink& u64(uint64_t v) { return put(v); }
  ByteSink& str(const std::string& s);
  ByteSink& raw(const Bytes& b);
  ByteSink& pad_to(uint64_t alignment);  // zero bytes up to the next multiple
  const Bytes& bytes() const { return b_; }
  size_t size() const { return b_.size(); }

 private:
  Bytes b_;
};

// GGUF metadata value type numbers, as written in the spec.
enum GgufWType : uint32_t {
  kWU8 = 0,
  kWI8 = 1,
  kWU16 = 2,
  kWI16 = 3,
  kWU32 = 4,
  kWI32 = 5,
  kWF32 = 6,
  kWBool = 7,
  kWString = 8,
  kWArray = 9,
  kWU64 = 10,
  kWI64 = 11,
  kWF64 = 12,
};

// One encoded metadata value: its type and its bytes (the type itself not included).
struct GgufW {
  uint32_t type;
  Bytes bytes;
};
GgufW gguf_u8(uint8_t v);
GgufW gguf_i8(int8_t v);
GgufW gguf_u16(uint16_t v);
GgufW gguf_i16(int16_t v);
GgufW gguf_u32(uint32_t v);
GgufW gguf_i32(int32_t v);
GgufW gguf_f32(float v);
GgufW gguf_bool(bool v);
GgufW gguf_string(const std::string& v);
GgufW gguf_u64(uint64_t v);
GgufW gguf_i64(int64_t v);
GgufW gguf_f64(double v);
// Every item must have type elem_type (not checked: tests may break it on purpose).
GgufW gguf_array(uint32_t elem_type, const std::vector<GgufW>& items);

// ggml tensor type numbers used by the tests.
enum GgmlWType : uint32_t {
  kGgmlF32 = 0,
  kGgmlF16 = 1,
  kGgmlQ4_0 = 2,
  kGgmlQ8_0 = 8,
  kGgmlQ4_K = 12,
  kGgmlQ6_K = 14,
  kGgmlBF16 = 30,
};

class GgufWriter {
 public:
  uint32_t version = 3;
  uint64_t alignment = 32;  // layout only; set_alignment also writes general.alignment

  void set_alignment(uint32_t a);
  void kv(const std::string& key, GgufW value);
  // ne in GGUF order (ne[0] = contiguous). Without `offset`, data goes at the next aligned
  // position after the previous tensor; with it, `data` (if any) is placed there as given.
  void tensor(const std::string& name, uint32_t ggml_type, std::vector<uint64_t> ne, Bytes data,
              std::optional<uint64_t> offset = std::nullopt);
  Bytes build() const;

 private:
  struct Kv {
    std::string key;
    GgufW value;
  };
  struct TensorSpec {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> ne;
    Bytes data;
    uint64_t offset;
  };
  std::vector<Kv> kvs_;
  std::vector<TensorSpec> tensors_;
  std::vector<bool> explicit_offset_;
};

template <class T>
Bytes to_bytes(const std::vector<T>& v) {
  Bytes b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}
// n bytes 0, 1, 2, ... (mod 251) so that misplaced data is visible.
Bytes pattern_bytes(size_t n, uint8_t seed = 0);

// Copies bytes into 64-byte-aligned storage, as a loader sees a mapped file.
std::shared_ptr<Storage> storage_from_bytes(const Bytes& bytes);
// Writes bytes to `dir`/`name` (creating dir) and returns the path.
std::string write_file(const std::string& dir, const std::string& name, const Bytes& bytes);
std::string write_file(const std::string& dir, const std::string& name, const std::string& text);
// A fresh empty directory under the system temp dir ($TMPDIR or /tmp).
std::string make_temp_dir(const std::string& name);

}  // namespace mistralrs::testing
