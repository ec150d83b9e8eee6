// GGUF reader against files built by tests/common/gguf_writer (an independent encoder of
// the spec): every metadata type, v2/v3, alignment, every supported tensor type, and
// malformed input (truncation at every byte, hostile counts, bad offsets).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/gguf_writer.h"
#include "formats/gguf.h"

namespace mistralrs {
namespace {

using testing::Bytes;
using testing::ByteSink;
using testing::GgufWriter;
namespace w = mistralrs::testing;

Expected<std::unique_ptr<GgufFile>> parse_bytes(const Bytes& b,
                                                const std::string& origin = "model.gguf") {
  return GgufFile::parse(w::storage_from_bytes(b), origin);
}

// Parsing must fail with `code` and a message naming the file and containing `needle`.
void expect_error(const Bytes& b, StatusCode code, const std::string& needle) {
  auto f = parse_bytes(b);
  ASSERT_FALSE(f) << "parsed although it should fail with: " << needle;
  EXPECT_EQ(f.status().code(), code) << f.status().to_string();
  EXPECT_EQ(f.status().message().rfind("model.gguf: ", 0), 0u) << f.status().message();
  EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status().message();
}

// A header with the given counts, for hand-made bodies.
ByteSink header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
  ByteSink s;
  s.u8('G').u8('G').u8('U').u8('F').u32(version).u64(n_tensors).u64(n_kv);
  return s;
}

// A small file with metadata of several kinds and two tensors.
GgufWriter small_writer() {
  GgufWriter g;
  g.kv("general.architecture", w::gguf_string("llama"));
  g.kv("llama.block_count", w::gguf_u32(2));
  g.kv("tokenizer.ggml.tokens",
       w::gguf_array(w::kWString, {w::gguf_string("a"), w::gguf_string("bc")}));
  g.kv("nested", w::gguf_array(w::kWArray, {w::gguf_array(w::kWI16, {w::gguf_i16(-3)})}));
  g.tensor("a", w::kGgmlF32, {3, 2}, w::pattern_bytes(24));
  g.tensor("b", w::kGgmlF16, {5}, w::pattern_bytes(10, 7));
  return g;
}

TEST(Gguf, ReadsEveryMetadataValueType) {
  GgufWriter g;
  g.kv("u8", w::gguf_u8(250));
  g.kv("i8", w::gguf_i8(-100));
  g.kv("u16", w::gguf_u16(65000));
  g.kv("i16", w::gguf_i16(-32000));
  g.kv("u32", w::gguf_u32(4000000000u));
  g.kv("i32", w::gguf_i32(-2000000000));
  g.kv("f32", w::gguf_f32(0.25f));
  g.kv("bool_t", w::gguf_bool(true));
  g.kv("bool_f", w::gguf_bool(false));
  g.kv("str", w::gguf_string("héllo"));
  g.kv("empty_str", w::gguf_string(""));
  g.kv("u64", w::gguf_u64(std::numeric_limits<uint64_t>::max()));
  g.kv("i64", w::gguf_i64(std::numeric_limits<int64_t>::min()));
  g.kv("f64", w::gguf_f64(-1.5e300));
  g.kv("ints", w::gguf_array(w::kWI32, {w::gguf_i32(1), w::gguf_i32(-2), w::gguf_i32(3)}));
  g.kv("floats", w::gguf_array(w::kWF32, {w::gguf_f32(0.5f), w::gguf_f32(-4.f)}));
  g.kv("strs", w::gguf_array(w::kWString, {w::gguf_string("x"), w::gguf_string("")}));
  g.kv("empty", w::gguf_array(w::kWU8, {}));
  g.kv("nested", w::gguf_array(w::kWArray, {w::gguf_array(w::kWU8, {w::gguf_u8(1), w::gguf_u8(2)}),
                                            w::gguf_array(w::kWString, {w::gguf_string("deep")})}));
  auto f = parse_bytes(g.build());
  ASSERT_TRUE(f) << f.status().to_string();
  const GgufFile& file = *f.value();
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.metadata().size(), 19u);
  EXPECT_EQ(file.get_int("u8").value(), 250);
  EXPECT_EQ(file.get_int("i8").value(), -100);
  EXPECT_EQ(file.get_int("u16").value(), 65000);
  EXPECT_EQ(file.get_int("i16").value(), -32000);
  EXPECT_EQ(file.get_int("u32").value(), 4000000000);
  EXPECT_EQ(file.get_int("i32").value(), -2000000000);
  EXPECT_EQ(file.get_float("f32").value(), 0.25);
  EXPECT_TRUE(file.get_bool("bool_t").value());
  EXPECT_FALSE(file.get_bool("bool_f").value());
  EXPECT_EQ(file.get_string("str").value(), "héllo");
  EXPECT_EQ(file.get_string("empty_str").value(), "");
  EXPECT_EQ(std::get<uint64_t>(file.find("u64")->v), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(file.get_int("i64").value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(file.get_float("f64").value(), -1.5e300);
  EXPECT_EQ(file.get_int_array("ints").value(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(file.get_float_array("floats").value(), (std::vector<double>{0.5, -4.0}));
  EXPECT_EQ(file.get_float_array("ints").value(), (std::vector<double>{1, -2, 3}));
  EXPECT_EQ(file.get_string_array("strs").value(), (std::vector<std::string>{"x", ""}));
  EXPECT_TRUE(std::get<GgufArray>(file.find("empty")->v).items.empty());
  const GgufArray& nested = std::get<GgufArray>(file.find("nested")->v);
  ASSERT_EQ(nested.element_type, GgufValueType::kArray);
  ASSERT_EQ(nested.items.size(), 2u);
  const GgufArray& inner0 = std::get<GgufArray>(nested.items[0].v);
  EXPECT_EQ(inner0.element_type, GgufValueType::kUint8);
  EXPECT_EQ(std::get<uint64_t>(inner0.items[1].v), 2u);
  EXPECT_EQ(std::get<std::string>(std::get<GgufArray>(nested.items[1].v).items[0].v), "deep");
  EXPECT_TRUE(file.tensor_infos().empty());
}

TEST(Gguf, TypedGettersNameTheKeyOnError) {
  GgufWriter g;
  g.kv("s", w::gguf_string("x"));
  g.kv("big", w::gguf_u64(std::numeric_limits<uint64_t>::max()));
  g.kv("b", w::gguf_bool(true));
  g.kv("strs", w::gguf_array(w::kWString, {w::gguf_string("x")}));
  auto f = parse_bytes(g.build());
  ASSERT_TRUE(f) << f.status().to_string();
  const GgufFile& file = *f.value();
  auto missing = file.get_int("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().message(), "model.gguf: metadata key 'nope' is missing");
  auto wrong = file.get_int("s");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.status().message(),
            "model.gguf: metadata key 's' is string, expected an integer");
  EXPECT_NE(file.get_int("big").status().message().find("'big' is out of the int64 range"),
            std::string::npos);
  EXPECT_FALSE(file.get_int("b"));  // bool is not an integer
  EXPECT_FALSE(file.get_bool("s"));
  EXPECT_FALSE(file.get_float("s"));
  EXPECT_FALSE(file.get_string("b"));
  EXPECT_FALSE(file.get_int_array("strs"));
  EXPECT_NE(file.get_float_array("strs").status().message().find("array of string"),
            std::string::npos);
  EXPECT_FALSE(file.get_string_array("s"));
}

TEST(Gguf, Version2ReadsLikeVersion3) {
  GgufWriter g = small_writer();
  g.version = 2;
  auto f = parse_bytes(g.build());
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_EQ(f.value()->version(), 2u);
  EXPECT_EQ(f.value()->get_string("general.architecture").value(), "llama");
  EXPECT_EQ(f.value()->names(), (std::vector<std::string>{"a", "b"}));
}

// Each supported type: the tensor views exactly its bytes, with ne[] reversed into Shape.
TEST(Gguf, EachTensorTypeRoundTrips) {
  struct Case {
    const char* name;
    uint32_t type;
    DType dtype;
    std::vector<uint64_t> ne;
    Shape shape;
    size_t bytes;
  };
  const std::vector<Case> cases = {
      {"f32", w::kGgmlF32, DType::kF32, {5, 3}, {3, 5}, 60},
      {"f16", w::kGgmlF16, DType::kF16, {7}, {7}, 14},
      {"bf16", w::kGgmlBF16, DType::kBF16, {2, 3, 4}, {4, 3, 2}, 48},
      {"q8_0", w::kGgmlQ8_0, DType::kQ8_0, {64, 2}, {2, 64}, 2 * 2 * 34},
      {"q4_0", w::kGgmlQ4_0, DType::kQ4_0, {32, 3}, {3, 32}, 3 * 18},
      {"q4_k", w::kGgmlQ4_K, DType::kQ4_K, {256, 2}, {2, 256}, 2 * 144},
      {"q6_k", w::kGgmlQ6_K, DType::kQ6_K, {512, 1, 1, 2}, {2, 1, 1, 512}, 2 * 2 * 210},
  };
  GgufWriter g;
  for (size_t i = 0; i < cases.size(); ++i)
    g.tensor(cases[i].name, cases[i].type, cases[i].ne,
             w::pattern_bytes(cases[i].bytes, static_cast<uint8_t>(i)));
  auto f = parse_bytes(g.build());
  ASSERT_TRUE(f) << f.status().to_string();
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    auto t = f.value()->tensor(c.name);
    ASSERT_TRUE(t) << t.status().to_string();
    EXPECT_EQ(t.value().dtype(), c.dtype);
    EXPECT_EQ(t.value().shape(), c.shape) << t.value().shape().to_string();
    ASSERT_EQ(t.value().nbytes(), c.bytes);
    EXPECT_EQ(f.value()->tensor_infos()[i].nbytes, c.bytes);
    const Bytes expect = w::pattern_bytes(c.bytes, static_cast<uint8_t>(i));
    EXPECT_EQ(0, std::memcmp(t.value().as<uint8_t>(), expect.data(), c.bytes));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.value().as<uint8_t>()) % 32, 0u);
  }
}

TEST(Gguf, AlignmentKeyMovesTheDataSection) {
  GgufWriter g = small_writer();
  g.set_alignment(256);
  const Bytes b = g.build();
  auto f = parse_bytes(b);
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_EQ(f.value()->alignment(), 256u);
  EXPECT_EQ(f.value()->tensor_infos()[1].offset, 256u);
  auto t = f.value()->tensor("b");
  auto a = f.value()->tensor("a");  // at offset 0: the start of the data section
  ASSERT_TRUE(t && a);
  EXPECT_EQ(t.value().as<uint8_t>() - a.value().as<uint8_t>(), 256);
  EXPECT_EQ(0, std::memcmp(t.value().as<uint8_t>(), w::pattern_bytes(10, 7).data(), 10));
  // The same file with the default alignment is 32-aligned.
  auto d = parse_bytes(small_writer().build());
  ASSERT_TRUE(d);
  EXPECT_EQ(d.value()->alignment(), 32u);
  EXPECT_EQ(d.value()->tensor_infos()[1].offset, 32u);
}

TEST(Gguf, OpenMapsTheFileAndTensorsOutliveIt) {
  const std::string dir = w::make_temp_dir("gguf_open");
  const std::string path = w::write_file(dir, "small.gguf", small_writer().build());
  Tensor a;
  {
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f) << f.status().to_string();
    EXPECT_EQ(f.value()->origin(), path);
    EXPECT_TRUE(f.value()->has("a"));
    EXPECT_FALSE(f.value()->has("c"));
    auto missing = f.value()->tensor("c");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.status().message(), path + ": no tensor named 'c'");
    a = f.value()->tensor("a").value();
  }
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(0, std::memcmp(a.as<uint8_t>(), w::pattern_bytes(24).data(), 24));
  auto none = GgufFile::open(dir + "/absent.gguf");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.status().code(), StatusCode::kIo);
}

TEST(Gguf, EveryTruncationIsAnError) {
  const Bytes full = small_writer().build();
  ASSERT_TRUE(parse_bytes(full));
  for (size_t n = 0; n < full.size(); ++n) {
    auto f = parse_bytes(Bytes(full.begin(), full.begin() + static_cast<ptrdiff_t>(n)));
    ASSERT_FALSE(f) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << f.status().to_string();
    EXPECT_EQ(f.status().message().rfind("model.gguf: ", 0), 0u) << f.status().message();
  }
}

TEST(Gguf, RejectsBadMagicAndVersions) {
  Bytes b = small_writer().build();
  Bytes bad = b;
  bad[0] = 'X';
  expect_error(bad, StatusCode::kInvalidArgument, "not a GGUF file (bad magic)");
  GgufWriter g = small_writer();
  g.version = 1;
  expect_error(g.build(), StatusCode::kUnsupported, "GGUF version 1 is not supported");
  g.version = 99;
  expect_error(g.build(), StatusCode::kUnsupported, "GGUF version 99 is not supported");
  g.version = 0x03000000u;
  expect_error(g.build(), StatusCode::kUnsupported, "big-endian");
  expect_error(Bytes{'G', 'G', 'U', 'F', 3, 0}, StatusCode::kInvalidArgument, "version at byte 4");
}

TEST(Gguf, HostileCountsAreRejectedBeforeAllocating) {
  const uint64_t kMax = std::numeric_limits<uint64_t>::max();
  // Array claiming 2^64-1 elements.
  ByteSink a = header(3, 0, 1);
  a.str("arr").u32(w::kWArray).u32(w::kWU8).u64(kMax);
  expect_error(a.bytes(), StatusCode::kInvalidArgument,
               "array metadata 'arr' claims 18446744073709551615");
  // Array of strings whose count fits the bytes only if strings were empty-less.
  ByteSink s = header(3, 0, 1);
  s.str("strs").u32(w::kWArray).u32(w::kWString).u64(4).u64(0).u64(0);
  expect_error(s.bytes(), StatusCode::kInvalidArgument, "claims 4 elements");
  // String length past the end of the file.
  ByteSink l = header(3, 0, 1);
  l.str("k").u32(w::kWString).u64(1000).u8('x');
  expect_error(l.bytes(), StatusCode::kInvalidArgument, "claims 1000 bytes but only 1 remain");
  ByteSink key = header(3, 0, 1);
  key.u64(kMax).u32(0).u8(0);  // enough bytes left for one key-value pair
  expect_error(key.bytes(), StatusCode::kInvalidArgument, "metadata key 0");
  expect_error(header(3, 0, kMax).bytes(), StatusCode::kInvalidArgument,
               "metadata count 18446744073709551615");
  expect_error(header(3, kMax, 0).bytes(), StatusCode::kInvalidArgument,
               "tensor count 18446744073709551615");
}

TEST(Gguf, RejectsMalformedMetadata) {
  ByteSink type = header(3, 0, 1);
  type.str("k").u32(13).u32(0);
  expect_error(type.bytes(), StatusCode::kInvalidArgument,
               "metadata 'k' has unknown value type 13");
  ByteSink elem = header(3, 0, 1);
  elem.str("k").u32(w::kWArray).u32(77).u64(0);
  expect_error(elem.bytes(), StatusCode::kInvalidArgument, "unknown element type 77");
  ByteSink boolean = header(3, 0, 1);
  boolean.str("k").u32(w::kWBool).u8(2);
  expect_error(boolean.bytes(), StatusCode::kInvalidArgument, "not 0 or 1");
  GgufWriter dup;
  dup.kv("k", w::gguf_u8(1));
  dup.kv("k", w::gguf_u8(2));
  expect_error(dup.build(), StatusCode::kInvalidArgument, "metadata key 'k' appears twice");
  GgufWriter empty_key;
  empty_key.kv("", w::gguf_u8(1));
  expect_error(empty_key.build(), StatusCode::kInvalidArgument, "is empty");
  // Arrays nested 9 deep exceed the cap of 8; 8 deep is fine.
  auto nest = [](int depth) {
    w::GgufW v = w::gguf_array(w::kWU8, {w::gguf_u8(1)});
    for (int i = 1; i < depth; ++i) v = w::gguf_array(w::kWArray, {v});
    GgufWriter g;
    g.kv("deep", v);
    return g.build();
  };
  EXPECT_TRUE(parse_bytes(nest(8)));
  expect_error(nest(9), StatusCode::kInvalidArgument, "nests arrays deeper than 8");
}

TEST(Gguf, RejectsBadAlignment) {
  GgufWriter three;
  three.kv("general.alignment", w::gguf_u32(3));
  expect_error(three.build(), StatusCode::kInvalidArgument,
               "general.alignment 3 is not a non-zero power of two");
  GgufWriter zero;
  zero.kv("general.alignment", w::gguf_u32(0));
  expect_error(zero.build(), StatusCode::kInvalidArgument, "general.alignment 0");
  GgufWriter typed;
  typed.kv("general.alignment", w::gguf_string("32"));
  expect_error(typed.build(), StatusCode::kInvalidArgument,
               "general.alignment must be a uint32, got string");
}

TEST(Gguf, RejectsBadTensorInfos) {
  GgufWriter five;
  five.tensor("w", w::kGgmlF32, {1, 1, 1, 1, 2}, w::pattern_bytes(8));
  expect_error(five.build(), StatusCode::kUnsupported, "tensor 'w' has 5 dimensions (at most 4");
  GgufWriter zero;
  zero.tensor("w", w::kGgmlF32, {}, {});
  expect_error(zero.build(), StatusCode::kInvalidArgument, "tensor 'w' has 0 dimensions");
  GgufWriter q5k;
  q5k.tensor("blk.0.attn_q.weight", 13, {256}, w::pattern_bytes(176));
  expect_error(q5k.build(), StatusCode::kUnsupported,
               "tensor 'blk.0.attn_q.weight' has ggml type 13 (Q5_K), which is not supported");
  GgufWriter unknown;
  unknown.tensor("w", 999, {4}, w::pattern_bytes(16));
  expect_error(unknown.build(), StatusCode::kUnsupported, "ggml type 999 (unknown)");
  GgufWriter row;
  row.tensor("w", w::kGgmlQ8_0, {33, 2}, w::pattern_bytes(68));
  expect_error(row.build(), StatusCode::kInvalidArgument,
               "rows of 33 elements are not a whole number of q8_0 blocks");
  GgufWriter overflow;
  overflow.tensor("w", w::kGgmlF32, {uint64_t{1} << 40, uint64_t{1} << 40}, {});
  expect_error(overflow.build(), StatusCode::kInvalidArgument, "element count overflows");
  // Found by fuzz_gguf: a zero dim made the product 0 while Shape::numel overflowed.
  GgufWriter zero_dim;
  zero_dim.tensor("w", w::kGgmlF32, {0, uint64_t{1} << 40, uint64_t{1} << 40}, {});
  expect_error(zero_dim.build(), StatusCode::kInvalidArgument, "element count overflows");
  GgufWriter bytes_overflow;
  bytes_overflow.tensor("w", w::kGgmlF32, {uint64_t{1} << 62}, {});
  expect_error(bytes_overflow.build(), StatusCode::kInvalidArgument, "byte size overflows");
  GgufWriter dup;
  dup.tensor("w", w::kGgmlF32, {1}, w::pattern_bytes(4));
  dup.tensor("w", w::kGgmlF32, {1}, w::pattern_bytes(4));
  expect_error(dup.build(), StatusCode::kInvalidArgument, "tensor 'w' appears twice");
}

TEST(Gguf, RejectsBadTensorSpans) {
  GgufWriter past;
  past.tensor("blk.0.attn_q.weight", w::kGgmlF32, {16}, {}, 1024);
  expect_error(past.build(), StatusCode::kInvalidArgument,
               "tensor 'blk.0.attn_q.weight' data [offset 1024");
  expect_error(past.build(), StatusCode::kInvalidArgument, "runs past the end of the file");
  GgufWriter huge;
  huge.tensor("w", w::kGgmlF32, {1}, {}, std::numeric_limits<uint64_t>::max() - 31);
  expect_error(huge.build(), StatusCode::kInvalidArgument, "runs past the end of the file");
  GgufWriter misaligned;
  misaligned.tensor("w", w::kGgmlF32, {4}, w::pattern_bytes(16), 8);
  expect_error(misaligned.build(), StatusCode::kInvalidArgument,
               "tensor 'w' offset 8 is not a multiple of the alignment 32");
  GgufWriter overlap;
  overlap.tensor("a", w::kGgmlF32, {16}, w::pattern_bytes(64), 0);
  overlap.tensor("b", w::kGgmlF32, {8}, w::pattern_bytes(32), 32);
  expect_error(overlap.build(), StatusCode::kInvalidArgument,
               "tensors 'a' [offset 0, size 64] and 'b'");
  expect_error(overlap.build(), StatusCode::kInvalidArgument, "overlap");
  // Two tensors sharing no bytes but listed out of order are fine.
  GgufWriter reordered;
  reordered.tensor("late", w::kGgmlF32, {8}, w::pattern_bytes(32), 32);
  reordered.tensor("early", w::kGgmlF32, {8}, w::pattern_bytes(32, 1), 0);
  auto f = parse_bytes(reordered.build());
  ASSERT_TRUE(f) << f.status().to_string();
  EXPECT_EQ(f.value()->tensor("early").value().as<uint8_t>()[0], 1);
}

}  // namespace
}  // namespace mistralrs
