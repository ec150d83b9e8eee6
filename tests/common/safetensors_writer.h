// Test helper: builds safetensors files in memory, following the format description
// (8-byte little-endian header length, JSON header, data section) directly, so that the
// reader is checked against an independent encoder.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/gguf_writer.h"  // Bytes, to_bytes, storage_from_bytes

namespace mistralrs::testing {

class SafetensorsWriter {
 public:
  void metadata(const std::string& key, const std::string& value) {
    metadata_.emplace_back(key, value);
  }
  // Laid out one after another in call order; data_offsets follow from data.size().
  void tensor(const std::string& name, const std::string& dtype, std::vector<int64_t> shape,
              Bytes data);
  // The JSON header as written (before padding), for tests that edit it.
  std::string header_json() const;
  Bytes data_section() const;
  Bytes build() const;

 private:
  struct Spec {
    std::string name, dtype;
    std::vector<int64_t> shape;
    Bytes data;
  };
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<Spec> tensors_;
};

// A file from a literal header (padded with spaces to a multiple of 8, as writers do) and
// data bytes.
Bytes safetensors_raw(const std::string& header_json, const Bytes& data);
// JSON string literal with quotes and escapes.
std::string json_quote(const std::string& s);

}  // namespace mistralrs::testing
