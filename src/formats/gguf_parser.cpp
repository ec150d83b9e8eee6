// GGUF v2/v3 parsing (see ggml docs/gguf.md). The file is untrusted: every count is checked
// against the bytes left before anything is reserved, nesting is capped, every size is
// overflow-checked, and tensor spans are checked against the file and against each other.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "formats/byte_reader.h"
#include "formats/gguf.h"
#include "formats/gguf_types.h"

namespace mistralrs {

namespace {
constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint64_t kDefaultAlignment = 32;
constexpr int kMaxArrayDepth = 8;
// Each metadata value becomes a ~48-byte GgufValue, so a file of n bytes could otherwise
// cost ~48n bytes of memory. Real files hold well under 2M values (a 256k vocabulary plus
// its merges and scores); 8M caps the worst case near 400 MB.
constexpr uint64_t kMaxMetadataValues = uint64_t{8} << 20;
// Smallest possible encodings, used to bound counts by the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                  // key length, type, a 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name len, n_dims, ne0, type, offset
}  // namespace

class GgufParser {
 public:
  GgufParser(GgufFile& file, const unsigned char* data, size_t size) : f_(file), r_(data, size) {}

  Status run() {
    uint64_t n_tensors = 0, n_kv = 0;
    MISTRALRS_RETURN_IF_ERROR(read_header(n_tensors, n_kv));
    MISTRALRS_RETURN_IF_ERROR(read_metadata(n_kv));
    MISTRALRS_RETURN_IF_ERROR(read_alignment());
    MISTRALRS_RETURN_IF_ERROR(read_tensor_infos(n_tensors));
    return check_tensor_spans();
  }

 private:
  Status invalid(const std::string& m) const { return invalid_argument(f_.origin_ + ": " + m); }
  Status truncated(const std::string& what) const {
    return invalid(what + " at byte " + std::to_string(r_.pos()) +
                   " runs past the end of the file (" + std::to_string(r_.size()) +
                   " bytes): truncated");
  }
  template <class T>
  Status read(T& out, const std::string& what) {
    return r_.read(out) ? Status::ok() : truncated(what);
  }
  // Reads a T and stores it widened to Wide (the variant holds 64-bit values only).
  template <class T, class Wide>
  Status read_as(const std::string& what, GgufValue& out) {
    T x{};
    MISTRALRS_RETURN_IF_ERROR(read(x, what));
    out.v = static_cast<Wide>(x);
    return Status::ok();
  }

  Status read_header(uint64_t& n_tensors, uint64_t& n_kv);
  Status read_string(std::string& out, const std::string& what);
  Status read_metadata(uint64_t n_kv);
  Status read_value(GgufValueType type, int depth, const std::string& key, GgufValue& out);
  Status read_scalar(GgufValueType type, const std::string& key, GgufValue& out);
  Status read_array(int depth, const std::string& key, GgufArray& out);
  Status read_alignment();
  Status read_tensor_infos(uint64_t n_tensors);
  Status read_tensor_info(GgufTensorInfo& out);
  Status check_tensor_spans();

  GgufFile& f_;
  ByteReader r_;
  uint64_t n_values_ = 0;
};

Status GgufParser::read_header(uint64_t& n_tensors, uint64_t& n_kv) {
  uint32_t magic = 0, version = 0;
  MISTRALRS_RETURN_IF_ERROR(read(magic, "magic"));
  if (magic != kGgufMagic) return invalid("not a GGUF file (bad magic)");
  MISTRALRS_RETURN_IF_ERROR(read(version, "version"));
  if (version != 2 && version != 3) {
    if (version == 0x02000000u || version == 0x03000000u)
      return unsupported(f_.origin_ + ": big-endian GGUF files are not supported");
    return unsupported(f_.origin_ + ": GGUF version " + std::to_string(version) +
                       " is not supported (versions 2 and 3 are)");
  }
  f_.version_ = version;
  MISTRALRS_RETURN_IF_ERROR(read(n_tensors, "tensor count"));
  MISTRALRS_RETURN_IF_ERROR(read(n_kv, "metadata count"));
  if (n_kv > r_.remaining() / kMinKvBytes)
    return invalid("metadata count " + std::to_string(n_kv) + " cannot fit in the " +
                   std::to_string(r_.remaining()) + " bytes left");
  if (n_tensors > r_.remaining() / kMinTensorInfoBytes)
    return invalid("tensor count " + std::to_string(n_tensors) + " cannot fit in the " +
                   std::to_string(r_.remaining()) + " bytes left");
  return Status::ok();
}

Status GgufParser::read_string(std::string& out, const std::string& what) {
  uint64_t len = 0;
  MISTRALRS_RETURN_IF_ERROR(read(len, what + " length"));
  if (len > r_.remaining())
    return invalid(what + " at byte " + std::to_string(r_.pos()) + " claims " +
                   std::to_string(len) + " bytes but only " + std::to_string(r_.remaining()) +
                   " remain: truncated");
  r_.read_bytes(static_cast<size_t>(len), out);
  return Status::ok();
}

Status GgufParser::read_metadata(uint64_t n_kv) {
  f_.metadata_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key;
    MISTRALRS_RETURN_IF_ERROR(read_string(key, "metadata key " + std::to_string(i)));
    if (key.empty()) return invalid("metadata key " + std::to_string(i) + " is empty");
    uint32_t type = 0;
    MISTRALRS_RETURN_IF_ERROR(read(type, "type of metadata '" + key + "'"));
    GgufValue value;
    MISTRALRS_RETURN_IF_ERROR(read_value(static_cast<GgufValueType>(type), 0, key, value));
    if (!f_.metadata_.emplace(key, std::move(value)).second)
      return invalid("metadata key '" + key + "' appears twice");
  }
  return Status::ok();
}

Status GgufParser::read_value(GgufValueType type, int depth, const std::string& key,
                              GgufValue& out) {
  if (!gguf_value_type_known(static_cast<uint32_t>(type)))
    return invalid("metadata '" + key + "' has unknown value type " +
                   std::to_string(static_cast<uint32_t>(type)));
  out.type = type;
  if (type == GgufValueType::kString) {
    std::string s;
    MISTRALRS_RETURN_IF_ERROR(read_string(s, "string value of metadata '" + key + "'"));
    out.v = std::move(s);
    return Status::ok();
  }
  if (type == GgufValueType::kArray) {
    GgufArray a;
    MISTRALRS_RETURN_IF_ERROR(read_array(depth + 1, key, a));
    out.v = std::move(a);
    return Status::ok();
  }
  return read_scalar(type, key, out);
}

Status GgufParser::read_scalar(GgufValueType type, const std::string& key, GgufValue& out) {
  const std::string what = "value of metadata '" + key + "'";
  switch (type) {
    case GgufValueType::kUint8: return read_as<uint8_t, uint64_t>(what, out);
    case GgufValueType::kUint16: return read_as<uint16_t, uint64_t>(what, out);
    case GgufValueType::kUint32: return read_as<uint32_t, uint64_t>(what, out);
    case GgufValueType::kUint64: return read_as<uint64_t, uint64_t>(what, out);
    case GgufValueType::kInt8: return read_as<int8_t, int64_t>(what, out);
    case GgufValueType::kInt16: return read_as<int16_t, int64_t>(what, out);
    case GgufValueType::kInt32: return read_as<int32_t, int64_t>(what, out);
    case GgufValueType::kInt64: return read_as<int64_t, int64_t>(what, out);
    case GgufValueType::kFloat32: return read_as<float, double>(what, out);
    case GgufValueType::kFloat64: return read_as<double, double>(what, out);
    case GgufValueType::kBool: {
      MISTRALRS_RETURN_IF_ERROR((read_as<uint8_t, uint64_t>(what, out)));
      const uint64_t x = std::get<uint64_t>(out.v);
      if (x > 1) return invalid("bool " + what + " is " + std::to_string(x) + ", not 0 or 1");
      return Status::ok();
    }
    default: return internal_error(f_.origin_ + ": read_scalar called for a non-scalar type");
  }
}

Status GgufParser::read_array(int depth, const std::string& key, GgufArray& out) {
  if (depth > kMaxArrayDepth)
    return invalid("metadata '" + key + "' nests arrays deeper than " +
                   std::to_string(kMaxArrayDepth));
  uint32_t elem = 0;
  uint64_t count = 0;
  MISTRALRS_RETURN_IF_ERROR(read(elem, "array element type of metadata '" + key + "'"));
  if (!gguf_value_type_known(elem))
    return invalid("array metadata '" + key + "' has unknown element type " + std::to_string(elem));
  MISTRALRS_RETURN_IF_ERROR(read(count, "array length of metadata '" + key + "'"));
  // Bound the count by the bytes left before reserving, so a hostile count cannot allocate.
  const uint64_t min_bytes = gguf_value_min_bytes(static_cast<GgufValueType>(elem));
  if (count > r_.remaining() / min_bytes)
    return invalid("array metadata '" + key + "' claims " + std::to_string(count) +
                   " elements but only " + std::to_string(r_.remaining()) +
                   " bytes remain: truncated");
  n_values_ += count;
  if (n_values_ > kMaxMetadataValues)
    return unsupported(f_.origin_ + ": metadata holds more than " +
                       std::to_string(kMaxMetadataValues) + " array elements");
  out.element_type = static_cast<GgufValueType>(elem);
  out.items.resize(static_cast<size_t>(count));
  for (GgufValue& item : out.items)
    MISTRALRS_RETURN_IF_ERROR(read_value(out.element_type, depth, key, item));
  return Status::ok();
}

Status GgufParser::read_alignment() {
  f_.alignment_ = kDefaultAlignment;
  const GgufValue* v = f_.find("general.alignment");
  if (!v) return Status::ok();
  if (v->type != GgufValueType::kUint32)
    return invalid("general.alignment must be a uint32, got " +
                   std::string(gguf_value_type_name(v->type)));
  const uint64_t a = std::get<uint64_t>(v->v);
  if (a == 0 || (a & (a - 1)) != 0)
    return invalid("general.alignment " + std::to_string(a) + " is not a non-zero power of two");
  f_.alignment_ = a;
  return Status::ok();
}

Status GgufParser::read_tensor_infos(uint64_t n_tensors) {
  f_.tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo info;
    MISTRALRS_RETURN_IF_ERROR(read_tensor_info(info));
    if (!f_.tensor_index_.emplace(info.name, f_.tensors_.size()).second)
      return invalid("tensor '" + info.name + "' appears twice");
    f_.tensors_.push_back(std::move(info));
  }
  // The data section starts at the next multiple of the alignment after the header.
  const uint64_t end = r_.pos();
  f_.data_offset_ = (end + f_.alignment_ - 1) / f_.alignment_ * f_.alignment_;
  return Status::ok();
}

Status GgufParser::read_tensor_info(GgufTensorInfo& out) {
  MISTRALRS_RETURN_IF_ERROR(read_string(out.name, "tensor name"));
  const std::string what = "tensor '" + out.name + "'";
  uint32_t n_dims = 0;
  MISTRALRS_RETURN_IF_ERROR(read(n_dims, "dimension count of " + what));
  if (n_dims == 0) return invalid(what + " has 0 dimensions");
  if (n_dims > static_cast<uint32_t>(kMaxRank))
    return unsupported(f_.origin_ + ": " + what + " has " + std::to_string(n_dims) +
                       " dimensions (at most " + std::to_string(kMaxRank) + " are supported)");
  uint64_t ne[kMaxRank] = {};
  uint64_t numel = 1, nonzero = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    MISTRALRS_RETURN_IF_ERROR(read(ne[d], "dimensions of " + what));
    // Bound the product of the non-zero dims too: a zero dim must not hide a huge one that
    // overflows Shape::numel or the strides, which multiply in another order.
    if (!checked_mul(nonzero, std::max<uint64_t>(ne[d], 1), nonzero) ||
        nonzero > static_cast<uint64_t>(INT64_MAX))
      return invalid(what + " has too many elements (the element count overflows)");
    numel *= ne[d];  // <= nonzero: cannot overflow
  }
  uint32_t ggml_type = 0;
  MISTRALRS_RETURN_IF_ERROR(read(ggml_type, "type of " + what));
  MISTRALRS_RETURN_IF_ERROR(read(out.offset, "offset of " + what));
  std::optional<DType> dt = dtype_from_ggml_type(ggml_type);
  if (!dt)
    return unsupported(f_.origin_ + ": " + what + " has ggml type " + std::to_string(ggml_type) +
                       " (" + ggml_type_name(ggml_type) + "), which is not supported");
  out.dtype = *dt;
  const DTypeInfo& di = dtype_info(out.dtype);
  if (ne[0] % static_cast<uint64_t>(di.block_elems) != 0)
    return invalid(what + " rows of " + std::to_string(ne[0]) +
                   " elements are not a whole number of " + std::string(di.name) + " blocks (" +
                   std::to_string(di.block_elems) + ")");
  if (!checked_mul(numel / static_cast<uint64_t>(di.block_elems),
                   static_cast<uint64_t>(di.block_bytes), out.nbytes))
    return invalid(what + " byte size overflows");
  // GGUF lists ne[0] (the contiguous dimension) first; Shape is outermost first.
  out.shape.rank = static_cast<int>(n_dims);
  for (uint32_t d = 0; d < n_dims; ++d)
    out.shape.dims[n_dims - 1 - d] = static_cast<int64_t>(ne[d]);
  return Status::ok();
}

Status GgufParser::check_tensor_spans() {
  const uint64_t file_size = r_.size();
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(f_.tensors_.size());
  for (const GgufTensorInfo& t : f_.tensors_) {
    if (t.offset % f_.alignment_ != 0)
      return invalid("tensor '" + t.name + "' offset " + std::to_string(t.offset) +
                     " is not a multiple of the alignment " + std::to_string(f_.alignment_));
    uint64_t begin = 0, end = 0;
    if (!checked_add(f_.data_offset_, t.offset, begin) || !checked_add(begin, t.nbytes, end) ||
        end > file_size)
      return invalid("tensor '" + t.name + "' data [offset " + std::to_string(t.offset) +
                     " in the data section at " + std::to_string(f_.data_offset_) + ", size " +
                     std::to_string(t.nbytes) + "] runs past the end of the file (" +
                     std::to_string(file_size) + " bytes)");
    if (t.nbytes > 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& a = *by_offset[i - 1];
    const GgufTensorInfo& b = *by_offset[i];
    if (a.offset + a.nbytes > b.offset)  // no overflow: both spans were checked above
      return invalid("tensors '" + a.name + "' [offset " + std::to_string(a.offset) + ", size " +
                     std::to_string(a.nbytes) + "] and '" + b.name + "' [offset " +
                     std::to_string(b.offset) + ", size " + std::to_string(b.nbytes) + "] overlap");
  }
  return Status::ok();
}

Expected<std::unique_ptr<GgufFile>> GgufFile::parse(std::shared_ptr<Storage> storage,
                                                    std::string origin) {
  if (!storage) return invalid_argument(origin + ": no storage to parse");
  if (!storage->device().is_cpu())
    return invalid_argument(origin + ": GGUF bytes must be in host memory");
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->origin_ = std::move(origin);
  const size_t size = storage->size();
  const auto* data = size ? static_cast<const unsigned char*>(storage->data()) : nullptr;
  GgufParser parser(*f, data, size);
  MISTRALRS_RETURN_IF_ERROR(parser.run());
  f->storage_ = std::move(storage);
  return f;
}

}  // namespace mistralrs
