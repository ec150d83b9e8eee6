#include "common/gguf_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace mistralrs::testing {

ByteSink& ByteSink::str(const std::string& s) {
  u64(s.size());
  b_.insert(b_.end(), s.begin(), s.end());
  return *this;
}

ByteSink& ByteSink::raw(const Bytes& b) {
  b_.insert(b_.end(), b.begin(), b.end());
  return *this;
}

ByteSink& ByteSink::pad_to(uint64_t alignment) {
  while (b_.size() % alignment != 0) b_.push_back(0);
  return *this;
}

namespace {
template <class T>
GgufW scalar(uint32_t type, T v) {
  ByteSink s;
  s.put(v);
  return {type, s.bytes()};
}
}  // namespace

GgufW gguf_u8(uint8_t v) { return scalar(kWU8, v); }
GgufW gguf_i8(int8_t v) { return scalar(kWI8, v); }
GgufW gguf_u16(uint16_t v) { return scalar(kWU16, v); }
GgufW gguf_i16(int16_t v) { return scalar(kWI16, v); }
GgufW gguf_u32(uint32_t v) { return scalar(kWU32, v); }
GgufW gguf_i32(int32_t v) { return scalar(kWI32, v); }
GgufW gguf_f32(float v) { return scalar(kWF32, v); }
GgufW gguf_bool(bool v) { return scalar(kWBool, static_cast<uint8_t>(v ? 1 : 0)); }
GgufW gguf_u64(uint64_t v) { return scalar(kWU64, v); }
GgufW gguf_i64(int64_t v) { return scalar(kWI64, v); }
GgufW gguf_f64(double v) { return scalar(kWF64, v); }

GgufW gguf_string(const std::string& v) {
  ByteSink s;
  s.str(v);
  return {kWString, s.bytes()};
}

GgufW gguf_array(uint32_t elem_type, const std::vector<GgufW>& items) {
  // Array: element type u32, count u64, then each element's bytes without a type tag.
  ByteSink s;
  s.u32(elem_type).u64(items.size());
  for (const GgufW& item : items) s.raw(item.bytes);
  return {kWArray, s.bytes()};
}

void GgufWriter::set_alignment(uint32_t a) {
  alignment = a;
  kv("general.alignment", gguf_u32(a));
}

void GgufWriter::kv(const std::string& key, GgufW value) {
  kvs_.push_back({key, std::move(value)});
}

void GgufWriter::tensor(const std::string& name, uint32_t ggml_type, std::vector<uint64_t> ne,
                        Bytes data, std::optional<uint64_t> offset) {
  tensors_.push_back({name, ggml_type, std::move(ne), std::move(data), offset.value_or(0)});
  explicit_offset_.push_back(offset.has_value());
}

Bytes GgufWriter::build() const {
  // Lay out data first so that the infos can carry the offsets.
  std::vector<uint64_t> offsets;
  uint64_t next = 0, data_size = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorSpec& t = tensors_[i];
    uint64_t off = t.offset;
    if (!explicit_offset_[i]) {
      off = (next + alignment - 1) / alignment * alignment;
      next = off + t.data.size();
    }
    offsets.push_back(off);
    if (!t.data.empty()) data_size = std::max<uint64_t>(data_size, off + t.data.size());
  }
  ByteSink s;
  s.u8('G').u8('G').u8('U').u8('F').u32(version).u64(tensors_.size()).u64(kvs_.size());
  for (const Kv& kv : kvs_) s.str(kv.key).u32(kv.value.type).raw(kv.value.bytes);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorSpec& t = tensors_[i];
    s.str(t.name).u32(static_cast<uint32_t>(t.ne.size()));
    for (uint64_t n : t.ne) s.u64(n);
    s.u32(t.type).u64(offsets[i]);
  }
  if (!tensors_.empty()) s.pad_to(alignment);
  Bytes out = s.bytes();
  const size_t base = out.size();
  out.resize(base + data_size, 0);
  for (size_t i = 0; i < tensors_.size(); ++i)
    std::copy(tensors_[i].data.begin(), tensors_[i].data.end(),
              out.begin() + static_cast<ptrdiff_t>(base + offsets[i]));
  return out;
}

Bytes pattern_bytes(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i + seed) % 251);
  return b;
}

std::shared_ptr<Storage> storage_from_bytes(const Bytes& bytes) {
  auto s = AlignedStorage::create(bytes.size());
  if (!s) return nullptr;
  if (!bytes.empty()) std::memcpy(s.value()->data(), bytes.data(), bytes.size());
  return s.value();
}

std::string make_temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  // The pid keeps concurrent runs of the suite (ctest -j, other checkouts) apart.
  const fs::path dir =
      fs::temp_directory_path() / ("mistralrs_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_file(const std::string& dir, const std::string& name, const Bytes& bytes) {
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  return write_file(dir, name, Bytes(text.begin(), text.end()));
}

}  // namespace mistralrs::testing
