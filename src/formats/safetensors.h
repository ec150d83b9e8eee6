// safetensors reader: one file or a sharded model (model.safetensors.index.json).
// Validated: header length within the file, JSON well-formed, each tensor's dtype x shape
// equal to its byte span, spans inside the data section and not overlapping.
// Dtypes F32, F16, BF16 (others are an unsupported-status naming the tensor).
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/weight_source.h"

namespace mistralrs {

class SafetensorsFile final : public WeightSource {
 public:
  static Expected<std::unique_ptr<SafetensorsFile>> open(const std::string& path);
  // Parses bytes held by `storage`; `origin` names them in messages.
  static Expected<std::unique_ptr<SafetensorsFile>> parse(std::shared_ptr<Storage> storage,
                                                          std::string origin);

  bool has(const std::string& name) const override;
  Expected<Tensor> tensor(const std::string& name) const override;
  std::vector<std::string> names() const override;
  const std::string& origin() const override { return origin_; }
  // __metadata__ string pairs from the header (e.g. {"format": "pt"}).
  const std::unordered_map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  struct Entry {
    DType dtype;
    Shape shape;
    size_t begin, end;  // byte offsets into the data section
    std::string problem;  // non-empty: why tensor() refuses it (e.g. an unsupported dtype)
  };
  SafetensorsFile() = default;
  std::shared_ptr<Storage> storage_;
  std::string origin_;
  size_t data_offset_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, std::string> metadata_;
  friend class SafetensorsParser;
};

// All safetensors weights of an HF model directory: model.safetensors, or the shards named
// by model.safetensors.index.json (each shard opened once; every indexed name must exist
// in its shard).
Expected<std::unique_ptr<WeightSource>> open_safetensors_dir(const std::string& dir);

}  // namespace mistralrs
