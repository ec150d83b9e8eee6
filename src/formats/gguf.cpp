// GgufFile accessors: typed metadata getters, tensor views, ggml type numbers.
// Parsing lives in gguf_parser.cpp.
#include "formats/gguf.h"

#include <array>
#include <limits>

#include "core/mapped_file.h"
#include "formats/gguf_types.h"

namespace mistralrs {

namespace {

struct GgmlTypeEntry {
  uint32_t number;
  const char* name;
};
// ggml_type numbers from the GGUF spec (ggml docs/gguf.md); 4 and 5 were removed.
constexpr std::array<GgmlTypeEntry, 32> kGgmlTypes = {{
    {0, "F32"},     {1, "F16"},    {2, "Q4_0"},     {3, "Q4_1"},    {6, "Q5_0"},     {7, "Q5_1"},
    {8, "Q8_0"},    {9, "Q8_1"},   {10, "Q2_K"},    {11, "Q3_K"},   {12, "Q4_K"},    {13, "Q5_K"},
    {14, "Q6_K"},   {15, "Q8_K"},  {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"},
    {20, "IQ4_NL"}, {21, "IQ3_S"}, {22, "IQ2_S"},   {23, "IQ4_XS"}, {24, "I8"},      {25, "I16"},
    {26, "I32"},    {27, "I64"},   {28, "F64"},     {29, "IQ1_M"},  {30, "BF16"},    {34, "TQ1_0"},
    {35, "TQ2_0"},  {39, "MXFP4"},
}};

struct DTypeGgml {
  DType dtype;
  uint32_t ggml;
};
constexpr std::array<DTypeGgml, 7> kSupported = {{
    {DType::kF32, 0},
    {DType::kF16, 1},
    {DType::kQ4_0, 2},
    {DType::kQ8_0, 8},
    {DType::kQ4_K, 12},
    {DType::kQ6_K, 14},
    {DType::kBF16, 30},
}};

bool is_float_type(GgufValueType t) {
  return t == GgufValueType::kFloat32 || t == GgufValueType::kFloat64;
}
bool is_integer_type(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64: return true;
    default: return false;
  }
}

// An integer-typed value as int64, or nullopt when a uint64 exceeds INT64_MAX.
std::optional<int64_t> as_int64(const GgufValue& v) {
  if (const auto* u = std::get_if<uint64_t>(&v.v)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&v.v)) return *i;
  return std::nullopt;
}

double as_double(const GgufValue& v) {
  if (const auto* d = std::get_if<double>(&v.v)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&v.v)) return static_cast<double>(*u);
  return static_cast<double>(std::get<int64_t>(v.v));
}

}  // namespace

bool gguf_value_type_known(uint32_t type) { return type <= 12; }

uint64_t gguf_value_min_bytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString: return 8;
    case GgufValueType::kArray: return 12;
  }
  return 1;
}

const char* gguf_value_type_name(GgufValueType type) {
  static constexpr const char* kNames[] = {"uint8",  "int8",    "uint16", "int16",  "uint32",
                                           "int32",  "float32", "bool",   "string", "array",
                                           "uint64", "int64",   "float64"};
  const auto i = static_cast<uint32_t>(type);
  return i <= 12 ? kNames[i] : "unknown";
}

const char* ggml_type_name(uint32_t ggml_type) {
  for (const GgmlTypeEntry& e : kGgmlTypes)
    if (e.number == ggml_type) return e.name;
  return "unknown";
}

std::optional<DType> dtype_from_ggml_type(uint32_t ggml_type) {
  for (const DTypeGgml& e : kSupported)
    if (e.ggml == ggml_type) return e.dtype;
  return std::nullopt;
}

uint32_t ggml_type_from_dtype(DType t) {
  for (const DTypeGgml& e : kSupported)
    if (e.dtype == t) return e.ggml;
  return 26;  // I32: the only DType without a GGUF tensor mapping above
}

bool GgufValue::is_integer() const { return is_integer_type(type); }

Expected<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.status();
  return parse(std::move(mapped.value()), path);
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

namespace {
Status missing_key(const std::string& origin, const std::string& key) {
  return invalid_argument(origin + ": metadata key '" + key + "' is missing");
}
Status wrong_type(const std::string& origin, const std::string& key, const GgufValue& v,
                  const char* expected) {
  std::string got = gguf_value_type_name(v.type);
  if (v.is_array())
    got += " of " + std::string(gguf_value_type_name(std::get<GgufArray>(v.v).element_type));
  return invalid_argument(origin + ": metadata key '" + key + "' is " + got + ", expected " +
                          expected);
}
Status out_of_range(const std::string& origin, const std::string& key) {
  return invalid_argument(origin + ": metadata key '" + key + "' is out of the int64 range");
}
}  // namespace

Expected<int64_t> GgufFile::get_int(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  if (!v->is_integer()) return wrong_type(origin_, key, *v, "an integer");
  std::optional<int64_t> i = as_int64(*v);
  if (!i) return out_of_range(origin_, key);
  return *i;
}

Expected<double> GgufFile::get_float(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  if (!v->is_integer() && !is_float_type(v->type)) return wrong_type(origin_, key, *v, "a number");
  return as_double(*v);
}

Expected<std::string> GgufFile::get_string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  if (!v->is_string()) return wrong_type(origin_, key, *v, "a string");
  return std::get<std::string>(v->v);
}

Expected<bool> GgufFile::get_bool(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  if (v->type != GgufValueType::kBool) return wrong_type(origin_, key, *v, "a bool");
  return std::get<uint64_t>(v->v) != 0;
}

Expected<std::vector<std::string>> GgufFile::get_string_array(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  if (!v->is_array() || std::get<GgufArray>(v->v).element_type != GgufValueType::kString)
    return wrong_type(origin_, key, *v, "an array of strings");
  std::vector<std::string> out;
  const GgufArray& a = std::get<GgufArray>(v->v);
  out.reserve(a.items.size());
  for (const GgufValue& item : a.items) out.push_back(std::get<std::string>(item.v));
  return out;
}

Expected<std::vector<double>> GgufFile::get_float_array(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  const GgufValueType et =
      v->is_array() ? std::get<GgufArray>(v->v).element_type : GgufValueType::kArray;
  if (!is_float_type(et) && !is_integer_type(et))
    return wrong_type(origin_, key, *v, "an array of numbers");
  std::vector<double> out;
  const GgufArray& a = std::get<GgufArray>(v->v);
  out.reserve(a.items.size());
  for (const GgufValue& item : a.items) out.push_back(as_double(item));
  return out;
}

Expected<std::vector<int64_t>> GgufFile::get_int_array(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing_key(origin_, key);
  if (!v->is_array() || !is_integer_type(std::get<GgufArray>(v->v).element_type))
    return wrong_type(origin_, key, *v, "an array of integers");
  std::vector<int64_t> out;
  const GgufArray& a = std::get<GgufArray>(v->v);
  out.reserve(a.items.size());
  for (const GgufValue& item : a.items) {
    std::optional<int64_t> i = as_int64(item);
    if (!i) return out_of_range(origin_, key);
    out.push_back(*i);
  }
  return out;
}

bool GgufFile::has(const std::string& name) const { return tensor_index_.count(name) != 0; }

Expected<Tensor> GgufFile::tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  if (it == tensor_index_.end())
    return invalid_argument(origin_ + ": no tensor named '" + name + "'");
  const GgufTensorInfo& t = tensors_[it->second];
  // Spans were checked at parse time: data_offset_ + offset + nbytes <= file size.
  return Tensor::from_storage(storage_, static_cast<size_t>(data_offset_ + t.offset), t.shape,
                              t.dtype);
}

std::vector<std::string> GgufFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const GgufTensorInfo& t : tensors_) out.push_back(t.name);
  return out;
}

}  // namespace mistralrs
