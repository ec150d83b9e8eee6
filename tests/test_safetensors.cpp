// safetensors reader against files built by tests/common/safetensors_writer: round trips,
// dtypes we cannot use, sharded directories, and malformed headers, spans and indexes.
#include <gtest/gtest.h>

#include "common/safetensors_writer.h"
#include "formats/safetensors.h"

namespace mistralrs {
namespace {

using testing::Bytes;
using testing::SafetensorsWriter;
namespace w = mistralrs::testing;

Expected<std::unique_ptr<SafetensorsFile>> parse_bytes(const Bytes& b) {
  return SafetensorsFile::parse(w::storage_from_bytes(b), "model.safetensors");
}

void expect_error(const Bytes& b, const std::string& needle) {
  auto f = parse_bytes(b);
  ASSERT_FALSE(f) << "parsed although it should fail with: " << needle;
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << f.status().to_string();
  EXPECT_EQ(f.status().message().rfind("model.safetensors: ", 0), 0u) << f.status().message();
  EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status().message();
}

// One tensor "t" with a literal entry and `data_bytes` bytes of data.
Bytes one_entry(const std::string& entry, size_t data_bytes = 16) {
  return w::safetensors_raw("{\"t\":" + entry + "}", w::pattern_bytes(data_bytes));
}

SafetensorsWriter small_writer() {
  SafetensorsWriter s;
  s.metadata("format", "pt");
  s.tensor("model.embed_tokens.weight", "F32", {3, 2}, w::pattern_bytes(24));
  s.tensor("norm", "BF16", {5}, w::pattern_bytes(10, 3));
  s.tensor("lm_head.weight", "F16", {2, 1, 1, 2}, w::pattern_bytes(8, 9));
  return s;
}

TEST(Safetensors, RoundTripsShapesBytesAndMetadata) {
  auto f = parse_bytes(small_writer().build());
  ASSERT_TRUE(f) << f.status().to_string();
  const SafetensorsFile& file = *f.value();
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.names().size(), 3u);
  struct Case {
    const char* name;
    DType dtype;
    Shape shape;
    size_t bytes;
    uint8_t seed;
  };
  for (const Case& c : {Case{"model.embed_tokens.weight", DType::kF32, {3, 2}, 24, 0},
                        Case{"norm", DType::kBF16, {5}, 10, 3},
                        Case{"lm_head.weight", DType::kF16, {2, 1, 1, 2}, 8, 9}}) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(file.has(c.name));
    auto t = file.tensor(c.name);
    ASSERT_TRUE(t) << t.status().to_string();
    EXPECT_EQ(t.value().dtype(), c.dtype);
    EXPECT_EQ(t.value().shape(), c.shape);
    ASSERT_EQ(t.value().nbytes(), c.bytes);
    EXPECT_EQ(
        0, std::memcmp(t.value().as<uint8_t>(), w::pattern_bytes(c.bytes, c.seed).data(), c.bytes));
  }
  auto missing = file.tensor("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().message(), "model.safetensors: no tensor named 'nope'");
}

TEST(Safetensors, EmptyAndScalarTensors) {
  SafetensorsWriter s;
  s.tensor("empty", "F32", {0, 4}, {});
  s.tensor("scalar", "F32", {}, w::pattern_bytes(4));
  auto f = parse_bytes(s.build());
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_EQ(f.value()->tensor("empty").value().numel(), 0);
  EXPECT_EQ(f.value()->tensor("scalar").value().shape().rank, 0);
  EXPECT_EQ(f.value()->tensor("scalar").value().numel(), 1);
  // A header with no tensors at all is a valid (empty) file.
  EXPECT_TRUE(parse_bytes(w::safetensors_raw("{}", {})));
}

// Other dtypes load (their spans are checked) and fail only when asked for.
TEST(Safetensors, UnsupportedDtypesFailOnlyWhenRequested) {
  SafetensorsWriter s;
  s.tensor("w", "F32", {2}, w::pattern_bytes(8));
  s.tensor("position_ids", "I64", {3}, w::pattern_bytes(24));
  s.tensor("future", "F4_NEW", {3}, w::pattern_bytes(2));
  s.tensor("five", "F32", {1, 1, 1, 1, 2}, w::pattern_bytes(8));
  auto f = parse_bytes(s.build());
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_TRUE(f.value()->tensor("w"));
  auto i64 = f.value()->tensor("position_ids");
  ASSERT_FALSE(i64);
  EXPECT_EQ(i64.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(i64.status().message(),
            "model.safetensors: tensor 'position_ids' has dtype I64, which is not supported (F32, "
            "F16, BF16 are)");
  EXPECT_EQ(f.value()->tensor("future").status().code(), StatusCode::kUnsupported);
  auto five = f.value()->tensor("five");
  ASSERT_FALSE(five);
  EXPECT_NE(five.status().message().find("tensor 'five' has 5 dimensions"), std::string::npos);
  // A known dtype's size is still checked against the span.
  expect_error(one_entry(R"({"dtype":"I64","shape":[3],"data_offsets":[0,16]})"),
               "tensor 't' is I64 with shape [3] (3 elements) but its data_offsets span 16 bytes");
}

TEST(Safetensors, EveryTruncationIsAnError) {
  const Bytes full = small_writer().build();
  for (size_t n = 0; n < full.size(); ++n) {
    auto f = parse_bytes(Bytes(full.begin(), full.begin() + static_cast<ptrdiff_t>(n)));
    ASSERT_FALSE(f) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(f.status().message().rfind("model.safetensors: ", 0), 0u) << f.status().message();
  }
}

TEST(Safetensors, RejectsBadHeaders) {
  expect_error(Bytes{1, 0, 0}, "file is 3 bytes, too short for the 8-byte header length");
  w::ByteSink huge;
  huge.u64(~uint64_t{0}).u8('{');
  expect_error(huge.bytes(),
               "header length 18446744073709551615 runs past the end of the file (9 bytes)");
  w::ByteSink past;
  past.u64(100).raw(Bytes{'{', '}'});
  expect_error(past.bytes(), "header length 100 runs past the end of the file");
  expect_error(w::safetensors_raw("[1, 2]", {}), "header must be a JSON object, got an array");
  expect_error(w::safetensors_raw("{\"t\": ", {}), "header is not valid JSON");
  expect_error(w::safetensors_raw("", {}), "header is not valid JSON");
  expect_error(w::safetensors_raw(std::string(100, '[') + std::string(100, ']'), {}),
               "nested deeper than 64");
  expect_error(w::safetensors_raw("{\"__metadata__\": {\"k\": 1}}", {}),
               "__metadata__ value 'k' must be a string, got 1");
  expect_error(w::safetensors_raw("{\"__metadata__\": []}", {}), "__metadata__ must be an object");
  expect_error(w::safetensors_raw("{\"t\": 5}", {}), "tensor 't' must be an object, got 5");
}

TEST(Safetensors, RejectsBadEntries) {
  expect_error(one_entry(R"({"shape":[4],"data_offsets":[0,16]})"),
               "tensor 't' has no \"dtype\" string");
  expect_error(one_entry(R"({"dtype":"F32","data_offsets":[0,16]})"),
               "tensor 't' has no \"shape\" array");
  expect_error(one_entry(R"({"dtype":"F32","shape":[-4],"data_offsets":[0,16]})"),
               "shape entries must be non-negative integers, got -4");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4.0],"data_offsets":[0,16]})"),
               "non-negative integers");
  expect_error(
      one_entry(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]})"),
      "element count overflows");
  expect_error(
      one_entry(R"({"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]})"),
      "element count overflows");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,16]})"),
               "but its data_offsets span 16 bytes");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4]})"), "needs \"data_offsets\": [begin, end]");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0]})"),
               "needs \"data_offsets\"");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,-16]})"),
               "needs \"data_offsets\"");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[16,0]})"),
               "data_offsets [16, 0] end before they begin");
  expect_error(one_entry(R"({"dtype":"F32","shape":[4],"data_offsets":[8,24]})"),
               "data_offsets [8, 24] run past the end of the data section (16 bytes)");
  expect_error(one_entry(R"({"dtype":"F32","shape":[3],"data_offsets":[0,16]})"),
               "tensor 't' is F32 with shape [3] (3 elements) but its data_offsets span 16 bytes");
  expect_error(w::safetensors_raw(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                  w::pattern_bytes(16)),
               "tensors 'a' [0, 16) and 'b' [8, 16) overlap");
}

TEST(Safetensors, OpenNamesThePath) {
  const std::string dir = w::make_temp_dir("st_open");
  const std::string path = w::write_file(
      dir, "x.safetensors", one_entry(R"({"dtype":"F32","shape":[5],"data_offsets":[0,16]})"));
  auto f = SafetensorsFile::open(path);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.status().message().rfind(path + ": tensor 't' is F32", 0), 0u)
      << f.status().message();
  EXPECT_EQ(SafetensorsFile::open(dir + "/absent.safetensors").status().code(), StatusCode::kIo);
}

// --- directories -------------------------------------------------------------------------

std::string index_json(const std::string& weight_map) {
  return "{\"metadata\": {\"total_size\": 40}, \"weight_map\": " + weight_map + "}";
}

std::string sharded_dir(const std::string& name) {
  const std::string dir = w::make_temp_dir(name);
  SafetensorsWriter a, b;
  a.tensor("x", "F32", {2}, w::pattern_bytes(8, 1));
  a.tensor("y", "F16", {4}, w::pattern_bytes(8, 2));
  b.tensor("z", "BF16", {2, 2}, w::pattern_bytes(8, 3));
  w::write_file(dir, "model-00001-of-00002.safetensors", a.build());
  w::write_file(dir, "model-00002-of-00002.safetensors", b.build());
  return dir;
}

TEST(Safetensors, DirWithOneFile) {
  const std::string dir = w::make_temp_dir("st_dir_single");
  w::write_file(dir, "model.safetensors", small_writer().build());
  auto src = open_safetensors_dir(dir);
  ASSERT_TRUE(src) << src.status().to_string();
  EXPECT_EQ(src.value()->origin(), dir + "/model.safetensors");
  EXPECT_TRUE(src.value()->tensor("norm"));
  auto none = open_safetensors_dir(w::make_temp_dir("st_dir_empty"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), StatusCode::kIo);
  EXPECT_NE(none.status().message().find("no model.safetensors or model.safetensors.index.json"),
            std::string::npos);
}

TEST(Safetensors, DirWithShards) {
  const std::string dir = sharded_dir("st_dir_shards");
  w::write_file(
      dir, "model.safetensors.index.json",
      index_json(
          R"({"x": "model-00001-of-00002.safetensors", "y": "model-00001-of-00002.safetensors",
                               "z": "model-00002-of-00002.safetensors"})"));
  auto src = open_safetensors_dir(dir);
  ASSERT_TRUE(src) << src.status().to_string();
  EXPECT_EQ(src.value()->origin(), dir);
  EXPECT_EQ(src.value()->names(), (std::vector<std::string>{"x", "y", "z"}));
  auto z = src.value()->tensor("z");
  ASSERT_TRUE(z) << z.status().to_string();
  EXPECT_EQ(z.value().shape(), (Shape{2, 2}));
  EXPECT_EQ(0, std::memcmp(z.value().as<uint8_t>(), w::pattern_bytes(8, 3).data(), 8));
  EXPECT_EQ(src.value()->tensor("y").value().as<uint8_t>()[0], 2);
  EXPECT_FALSE(src.value()->has("w"));
  EXPECT_EQ(src.value()->tensor("w").status().message(), dir + ": no tensor named 'w'");
}

void expect_dir_error(const std::string& dir, StatusCode code, const std::string& needle) {
  auto src = open_safetensors_dir(dir);
  ASSERT_FALSE(src) << "opened although it should fail with: " << needle;
  EXPECT_EQ(src.status().code(), code) << src.status().to_string();
  EXPECT_NE(src.status().message().find(needle), std::string::npos) << src.status().message();
}

TEST(Safetensors, DirRejectsBadIndexes) {
  const std::string dir = sharded_dir("st_dir_bad");
  const std::string index = dir + "/model.safetensors.index.json";
  w::write_file(
      dir, "model.safetensors.index.json",
      index_json(
          R"({"x": "model-00001-of-00002.safetensors", "q": "model-00002-of-00002.safetensors"})"));
  expect_dir_error(dir, StatusCode::kInvalidArgument,
                   index +
                       ": tensor 'q' is listed in shard 'model-00002-of-00002.safetensors' but "
                       "that file does not contain it");
  for (const char* escape :
       {"../model-00001-of-00002.safetensors", "/etc/passwd", "sub/x.safetensors", "..", ""}) {
    w::write_file(dir, "model.safetensors.index.json",
                  index_json(std::string("{\"x\": ") + w::json_quote(escape) + "}"));
    expect_dir_error(dir, StatusCode::kInvalidArgument,
                     "must be a file name inside the model directory");
  }
  w::write_file(dir, "model.safetensors.index.json", index_json(R"({"x": "absent.safetensors"})"));
  expect_dir_error(dir, StatusCode::kIo, dir + "/absent.safetensors");
  w::write_file(dir, "model.safetensors.index.json", index_json(R"({"x": 3})"));
  expect_dir_error(dir, StatusCode::kInvalidArgument,
                   "weight_map entry 'x' must be a shard file name, got 3");
  w::write_file(dir, "model.safetensors.index.json", std::string(R"({"metadata": {}})"));
  expect_dir_error(dir, StatusCode::kInvalidArgument, index + ": needs a \"weight_map\" object");
  w::write_file(dir, "model.safetensors.index.json", std::string("[]"));
  expect_dir_error(dir, StatusCode::kInvalidArgument,
                   index + ": must be a JSON object, got an array");
  w::write_file(dir, "model.safetensors.index.json", std::string("{"));
  expect_dir_error(dir, StatusCode::kInvalidArgument, index + ": not valid JSON");
  w::write_file(dir, "model.safetensors.index.json", std::string());
  expect_dir_error(dir, StatusCode::kInvalidArgument, index + ": not valid JSON");
}

}  // namespace
}  // namespace mistralrs
