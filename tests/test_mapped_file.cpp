#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/mapped_file.h"

namespace mistralrs {
namespace {

std::string temp_path(const char* name) {
  return ::testing::TempDir() + "/mistralrs_" + name;
}

TEST(MappedFile, MapsContentsReadOnly) {
  const std::string path = temp_path("mapped.bin");
  {
    std::ofstream f(path, std::ios::binary);
    f << "hello weights";
  }
  auto m = MappedFile::open(path);
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m.value()->size(), 13u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.value()->bytes()), 13), "hello weights");
  // Tensors can view into the mapping and keep it alive.
  Tensor t = Tensor::from_storage(m.value(), 6, {7}, DType::kF32 /* bytes only */);
  m.value().reset();
  EXPECT_EQ(std::string(t.as<char>(), 7), "weights");
  std::remove(path.c_str());
}

TEST(MappedFile, EmptyFileIsFine) {
  const std::string path = temp_path("empty.bin");
  { std::ofstream f(path, std::ios::binary); }
  auto m = MappedFile::open(path);
  ASSERT_TRUE(m);
  EXPECT_EQ(m.value()->size(), 0u);
  std::remove(path.c_str());
}

TEST(MappedFile, MissingFileNamesThePath) {
  auto m = MappedFile::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().code(), StatusCode::kIo);
  EXPECT_NE(m.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
}

TEST(MappedFile, DirectoryIsRejected) {
  auto m = MappedFile::open(::testing::TempDir());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.status().code(), StatusCode::kIo);
}

}  // namespace
}  // namespace mistralrs
