// safetensors: an 8-byte little-endian header length N, N bytes of JSON, then the data
// section. The header is untrusted: JSON is parsed without exceptions, every field's type
// is checked before use, and every span is checked against the data section and its
// neighbours. A dtype we cannot compute with is only an error when that tensor is asked
// for, so checkpoints with extra integer buffers still load.
#include "formats/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "formats/byte_reader.h"
#include "formats/json_util.h"

namespace mistralrs {

namespace {

// Bytes per element of every dtype the format defines (sub-byte F4/F6 types are left out:
// their size is not a whole number of bytes per element, so their spans are unchecked).
int64_t safetensors_dtype_size(const std::string& name) {
  static constexpr std::pair<const char*, int64_t> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
      {"F32", 4},  {"F64", 8}, {"I64", 8}, {"U64", 8},
  };
  for (const auto& [n, s] : kSizes)
    if (name == n) return s;
  return 0;
}

std::optional<DType> supported_dtype(const std::string& name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return std::nullopt;
}

}  // namespace

class SafetensorsParser {
 public:
  SafetensorsParser(SafetensorsFile& f, const unsigned char* data, size_t size)
      : f_(f), data_(data), size_(size) {}

  Status run() {
    nlohmann::json header;
    MISTRALRS_RETURN_IF_ERROR(read_header(header));
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == "__metadata__") {
        MISTRALRS_RETURN_IF_ERROR(read_metadata(it.value()));
        continue;
      }
      MISTRALRS_RETURN_IF_ERROR(read_entry(it.key(), it.value()));
    }
    return check_overlaps();
  }

 private:
  Status invalid(const std::string& m) const { return invalid_argument(f_.origin_ + ": " + m); }
  Status read_header(nlohmann::json& header);
  Status read_metadata(const nlohmann::json& meta);
  Status read_entry(const std::string& name, const nlohmann::json& e);
  Status read_shape(const std::string& name, const nlohmann::json& e, SafetensorsFile::Entry& out,
                    uint64_t& numel, std::string& problem);
  Status read_offsets(const std::string& name, const nlohmann::json& e,
                      SafetensorsFile::Entry& out);
  Status check_overlaps() const;

  SafetensorsFile& f_;
  const unsigned char* data_;
  size_t size_;
  uint64_t data_size_ = 0;
};

Status SafetensorsParser::read_header(nlohmann::json& header) {
  ByteReader r(data_, size_);
  uint64_t n = 0;
  if (!r.read(n))
    return invalid("file is " + std::to_string(size_) +
                   " bytes, too short for the 8-byte header length");
  if (n > r.remaining())
    return invalid("header length " + std::to_string(n) + " runs past the end of the file (" +
                   std::to_string(size_) + " bytes)");
  const char* text = reinterpret_cast<const char*>(data_ + 8);
  std::string error;
  if (!json_parse(text, static_cast<size_t>(n), header, error))
    return invalid("header is not valid JSON: " + error);
  if (!header.is_object())
    return invalid("header must be a JSON object, got " + json_type_name(header));
  f_.data_offset_ = 8 + static_cast<size_t>(n);
  data_size_ = size_ - f_.data_offset_;
  return Status::ok();
}

Status SafetensorsParser::read_metadata(const nlohmann::json& meta) {
  if (!meta.is_object())
    return invalid("__metadata__ must be an object, got " + json_type_name(meta));
  for (auto it = meta.begin(); it != meta.end(); ++it) {
    if (!it.value().is_string())
      return invalid("__metadata__ value '" + it.key() + "' must be a string, got " +
                     json_excerpt(it.value()));
    f_.metadata_[it.key()] = it.value().get<std::string>();
  }
  return Status::ok();
}

// Shapes of rank > 4 parse (their span is still checked) but cannot become a Tensor;
// `problem` records why for tensor().
Status SafetensorsParser::read_shape(const std::string& name, const nlohmann::json& e,
                                     SafetensorsFile::Entry& out, uint64_t& numel,
                                     std::string& problem) {
  auto s = e.find("shape");
  if (s == e.end() || !s->is_array())
    return invalid("tensor '" + name + "' has no \"shape\" array");
  numel = 1;
  uint64_t nonzero = 1;
  int rank = 0;
  for (const nlohmann::json& d : *s) {
    if (!d.is_number_unsigned())
      return invalid("tensor '" + name + "' shape entries must be non-negative integers, got " +
                     json_excerpt(d));
    const uint64_t v = d.get<uint64_t>();
    // The non-zero dims must multiply within int64 as well: a zero dim must not hide a huge
    // one that overflows Shape::numel or the strides later.
    if (!checked_mul(nonzero, std::max<uint64_t>(v, 1), nonzero) ||
        nonzero > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return invalid("tensor '" + name + "' element count overflows");
    numel *= v;  // <= nonzero: cannot overflow
    if (rank < kMaxRank) out.shape.dims[static_cast<size_t>(rank)] = static_cast<int64_t>(v);
    ++rank;
  }
  if (rank > kMaxRank) {
    problem = "has " + std::to_string(rank) + " dimensions (at most " + std::to_string(kMaxRank) +
              " are supported)";
    rank = kMaxRank;
  }
  out.shape.rank = rank;
  return Status::ok();
}

Status SafetensorsParser::read_offsets(const std::string& name, const nlohmann::json& e,
                                       SafetensorsFile::Entry& out) {
  auto o = e.find("data_offsets");
  if (o == e.end() || !o->is_array() || o->size() != 2 || !(*o)[0].is_number_unsigned() ||
      !(*o)[1].is_number_unsigned())
    return invalid("tensor '" + name +
                   "' needs \"data_offsets\": [begin, end] of non-negative integers");
  const uint64_t begin = (*o)[0].get<uint64_t>(), end = (*o)[1].get<uint64_t>();
  if (begin > end)
    return invalid("tensor '" + name + "' data_offsets [" + std::to_string(begin) + ", " +
                   std::to_string(end) + "] end before they begin");
  if (end > data_size_)
    return invalid("tensor '" + name + "' data_offsets [" + std::to_string(begin) + ", " +
                   std::to_string(end) + "] run past the end of the data section (" +
                   std::to_string(data_size_) + " bytes)");
  out.begin = static_cast<size_t>(begin);
  out.end = static_cast<size_t>(end);
  return Status::ok();
}

Status SafetensorsParser::read_entry(const std::string& name, const nlohmann::json& e) {
  if (!e.is_object())
    return invalid("tensor '" + name + "' must be an object, got " + json_excerpt(e));
  auto dt = e.find("dtype");
  if (dt == e.end() || !dt->is_string())
    return invalid("tensor '" + name + "' has no \"dtype\" string");
  const std::string dtype_name = dt->get<std::string>();
  SafetensorsFile::Entry entry{};
  uint64_t numel = 0;
  MISTRALRS_RETURN_IF_ERROR(read_shape(name, e, entry, numel, entry.problem));
  MISTRALRS_RETURN_IF_ERROR(read_offsets(name, e, entry));
  const int64_t elem = safetensors_dtype_size(dtype_name);
  uint64_t bytes = 0;
  if (elem > 0 &&
      (!checked_mul(numel, static_cast<uint64_t>(elem), bytes) || bytes != entry.end - entry.begin))
    return invalid("tensor '" + name + "' is " + dtype_name + " with shape " +
                   json_excerpt(*e.find("shape")) + " (" + std::to_string(numel) +
                   " elements) but its data_offsets span " +
                   std::to_string(entry.end - entry.begin) + " bytes");
  std::optional<DType> supported = supported_dtype(dtype_name);
  if (supported)
    entry.dtype = *supported;
  else if (entry.problem.empty())
    entry.problem = "has dtype " + dtype_name + ", which is not supported (F32, F16, BF16 are)";
  f_.entries_.emplace(name, std::move(entry));
  f_.order_.push_back(name);
  return Status::ok();
}

Status SafetensorsParser::check_overlaps() const {
  std::vector<const std::string*> by_begin;
  by_begin.reserve(f_.order_.size());
  for (const std::string& n : f_.order_) {
    const SafetensorsFile::Entry& e = f_.entries_.at(n);
    if (e.end > e.begin) by_begin.push_back(&n);
  }
  std::sort(by_begin.begin(), by_begin.end(), [this](const std::string* a, const std::string* b) {
    return f_.entries_.at(*a).begin < f_.entries_.at(*b).begin;
  });
  for (size_t i = 1; i < by_begin.size(); ++i) {
    const SafetensorsFile::Entry& a = f_.entries_.at(*by_begin[i - 1]);
    const SafetensorsFile::Entry& b = f_.entries_.at(*by_begin[i]);
    if (a.end > b.begin)
      return invalid("tensors '" + *by_begin[i - 1] + "' [" + std::to_string(a.begin) + ", " +
                     std::to_string(a.end) + ") and '" + *by_begin[i] + "' [" +
                     std::to_string(b.begin) + ", " + std::to_string(b.end) + ") overlap");
  }
  return Status::ok();
}

Expected<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped) return mapped.status();
  return parse(std::move(mapped.value()), path);
}

Expected<std::unique_ptr<SafetensorsFile>> SafetensorsFile::parse(std::shared_ptr<Storage> storage,
                                                                  std::string origin) {
  if (!storage) return invalid_argument(origin + ": no storage to parse");
  if (!storage->device().is_cpu())
    return invalid_argument(origin + ": safetensors bytes must be in host memory");
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->origin_ = std::move(origin);
  const size_t size = storage->size();
  const auto* data = size ? static_cast<const unsigned char*>(storage->data()) : nullptr;
  SafetensorsParser parser(*f, data, size);
  MISTRALRS_RETURN_IF_ERROR(parser.run());
  f->storage_ = std::move(storage);
  return f;
}

bool SafetensorsFile::has(const std::string& name) const { return entries_.count(name) != 0; }

Expected<Tensor> SafetensorsFile::tensor(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return invalid_argument(origin_ + ": no tensor named '" + name + "'");
  const Entry& e = it->second;
  if (!e.problem.empty()) return unsupported(origin_ + ": tensor '" + name + "' " + e.problem);
  return Tensor::from_storage(storage_, data_offset_ + e.begin, e.shape, e.dtype);
}

std::vector<std::string> SafetensorsFile::names() const { return order_; }

}  // namespace mistralrs
