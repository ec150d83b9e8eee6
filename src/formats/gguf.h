// GGUF v2 and v3 reader: header, every metadata value type (nested arrays too), tensor
// infos, alignment (general.alignment), with every count, offset and size validated
// against the file. Tensor data is viewed in place (memory-mapped or a caller's buffer).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/tensor.h"
#include "formats/weight_source.h"

namespace mistralrs {

// Metadata value types as numbered by the GGUF spec.
enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

struct GgufValue;
struct GgufArray {
  GgufValueType element_type = GgufValueType::kUint8;
  std::vector<GgufValue> items;
};

struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  // Integers widen to int64/uint64, floats to double; bool as uint64 0/1.
  std::variant<uint64_t, int64_t, double, std::string, GgufArray> v;

  bool is_integer() const;
  bool is_string() const { return type == GgufValueType::kString; }
  bool is_array() const { return type == GgufValueType::kArray; }
};

struct GgufTensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;          // row-major (GGUF ne[] reversed): [ne1, ne0] for a matrix
  uint64_t offset = 0;  // from the start of the data section
  uint64_t nbytes = 0;
};

class GgufFile final : public WeightSource {
 public:
  // Maps and parses a file. Errors name the file and the problem (truncated, bad magic,
  // unsupported version, offset past the end, unknown tensor type, ...).
  static Expected<std::unique_ptr<GgufFile>> open(const std::string& path);
  // Parses bytes held by `storage` (e.g. a caller's buffer copied into aligned memory).
  static Expected<std::unique_ptr<GgufFile>> parse(std::shared_ptr<Storage> storage,
                                                   std::string origin);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::unordered_map<std::string, GgufValue>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;
  const std::vector<GgufTensorInfo>& tensor_infos() const { return tensors_; }

  // Typed getters: an absent key or a value of the wrong type is an invalid-argument
  // status naming the key. Integers of any width convert when in range.
  Expected<int64_t> get_int(const std::string& key) const;
  Expected<double> get_float(const std::string& key) const;  // floats and integers
  Expected<std::string> get_string(const std::string& key) const;
  Expected<bool> get_bool(const std::string& key) const;
  Expected<std::vector<std::string>> get_string_array(const std::string& key) const;
  Expected<std::vector<double>> get_float_array(const std::string& key) const;
  Expected<std::vector<int64_t>> get_int_array(const std::string& key) const;

  // WeightSource
  bool has(const std::string& name) const override;
  Expected<Tensor> tensor(const std::string& name) const override;
  std::vector<std::string> names() const override;
  const std::string& origin() const override { return origin_; }

 private:
  GgufFile() = default;
  std::shared_ptr<Storage> storage_;
  std::string origin_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::unordered_map<std::string, GgufValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
  friend class GgufParser;
};

// GGUF tensor type numbers (ggml_type) for the dtypes we support; others -> nullopt.
std::optional<DType> dtype_from_ggml_type(uint32_t ggml_type);
uint32_t ggml_type_from_dtype(DType t);

}  // namespace mistralrs
