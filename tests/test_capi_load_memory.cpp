// Loading a GGUF model from a memory buffer and through reader callbacks: the same logits
// (bitwise) and tokens as loading the file, which test_capi_text checks against
// transformers; truncated or garbage bytes and failing readers give an error status.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "common/capi_runtime.h"
#include "common/paths.h"
#include "mistralrs.h"

namespace {

std::vector<unsigned char> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A reader over a byte vector that can be told to fail or to misbehave.
struct Reader {
  const std::vector<unsigned char>* bytes = nullptr;
  size_t pos = 0;
  size_t fail_at = SIZE_MAX;     // read returns -1 once pos reaches it
  size_t max_read = SIZE_MAX;    // largest piece returned by one read (short reads)
  int64_t reported_size = -1;    // seek to the end reports this instead of the true size
  bool fail_seek = false;
  bool overread = false;         // claims one byte more than asked
};

int64_t reader_read(void* buffer, size_t size, void* user) {
  auto* r = static_cast<Reader*>(user);
  if (r->pos >= r->fail_at) return -1;
  const size_t n = std::min({size, r->max_read, r->bytes->size() - r->pos, r->fail_at - r->pos});
  std::memcpy(buffer, r->bytes->data() + r->pos, n);
  r->pos += n;
  return r->overread && n > 0 ? static_cast<int64_t>(size) + 1 : static_cast<int64_t>(n);
}

int64_t reader_seek(int64_t offset, int32_t whence, void* user) {
  auto* r = static_cast<Reader*>(user);
  if (r->fail_seek) return -1;
  const int64_t size = static_cast<int64_t>(r->bytes->size());
  const int64_t base = whence == MISTRALRS_SEEK_SET ? 0 : whence == MISTRALRS_SEEK_CUR ? static_cast<int64_t>(r->pos) : size;
  const int64_t p = base + offset;
  if (p < 0 || p > size) return -1;
  r->pos = static_cast<size_t>(p);
  return whence == MISTRALRS_SEEK_END && r->reported_size >= 0 ? r->reported_size : p;
}

class CapiLoadMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mistralrs::testing::create_runtime(2, &rt_), MISTRALRS_OK) << mistralrs_last_error();
    path_ = mistralrs::testing::fixture_path("text/llama_gqa/gguf_q8_0.gguf");
    bytes_ = read_all(path_);
    ASSERT_GT(bytes_.size(), 1000u);
    ASSERT_EQ(mistralrs_model_load(rt_, path_.c_str(), nullptr, &from_file_), MISTRALRS_OK);
    expected_ = run(from_file_, &expected_tokens_);
  }
  void TearDown() override {
    mistralrs_model_free(from_file_);
    mistralrs_runtime_free(rt_);
  }

  // The last logits of a fixed prompt, and 16 greedy tokens after it.
  std::vector<float> run(mistralrs_model* m, std::vector<int32_t>* tokens) {
    mistralrs_session* s = nullptr;
    EXPECT_EQ(mistralrs_session_create(m, nullptr, &s), MISTRALRS_OK);
    const int32_t prompt[] = {1, 54, 254, 51, 187, 100, 134, 29};
    std::vector<float> logits(static_cast<size_t>(mistralrs_model_vocab_size(m)));
    EXPECT_EQ(mistralrs_session_eval(s, prompt, 8, logits.data()), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_session_reset(s), MISTRALRS_OK);
    mistralrs_generate_options* g = nullptr;
    EXPECT_EQ(mistralrs_generate_options_create(&g), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_generate_options_set_max_tokens(g, 16), MISTRALRS_OK);
    EXPECT_EQ(mistralrs_generate_options_set_ignore_eos(g, 1), MISTRALRS_OK);
    auto cb = [](int32_t t, const char*, size_t, void* u) -> int32_t {
      if (t >= 0) static_cast<std::vector<int32_t>*>(u)->push_back(t);
      return 0;
    };
    EXPECT_EQ(mistralrs_session_generate(s, prompt, 8, g, cb, tokens, nullptr), MISTRALRS_OK);
    mistralrs_generate_options_free(g);
    mistralrs_session_free(s);
    return logits;
  }

  void expect_same_model(mistralrs_model* m) {
    ASSERT_NE(m, nullptr);
    EXPECT_NE(mistralrs_model_tokenizer(m), nullptr);
    std::vector<int32_t> tokens;
    const std::vector<float> logits = run(m, &tokens);
    ASSERT_EQ(logits.size(), expected_.size());
    for (size_t i = 0; i < logits.size(); ++i) ASSERT_EQ(logits[i], expected_[i]) << "logit " << i;
    EXPECT_EQ(tokens, expected_tokens_);
    EXPECT_EQ(tokens.size(), 16u);
  }

  int32_t load_reader(Reader& r, bool seekable, mistralrs_model** m) {
    r.bytes = &bytes_;
    return mistralrs_model_load_from_reader(rt_, reader_read, seekable ? reader_seek : nullptr, &r, nullptr, m);
  }

  mistralrs_runtime* rt_ = nullptr;
  mistralrs_model* from_file_ = nullptr;
  std::string path_;
  std::vector<unsigned char> bytes_;
  std::vector<float> expected_;
  std::vector<int32_t> expected_tokens_;
};

TEST_F(CapiLoadMemory, BufferGivesTheSameModelAndMayBeFreedAfterLoad) {
  auto copy = std::make_unique<std::vector<unsigned char>>(bytes_);
  mistralrs_model* m = nullptr;
  ASSERT_EQ(mistralrs_model_load_from_memory(rt_, copy->data(), copy->size(), nullptr, &m), MISTRALRS_OK)
      << mistralrs_last_error();
  std::fill(copy->begin(), copy->end(), 0xFF);  // the model copied the bytes
  copy.reset();
  expect_same_model(m);
  mistralrs_model_free(m);
}

TEST_F(CapiLoadMemory, ReaderWithAndWithoutSeekGivesTheSameModel) {
  for (const bool seekable : {true, false}) {
    Reader r;
    r.max_read = 1000;  // short reads must be continued
    mistralrs_model* m = nullptr;
    ASSERT_EQ(load_reader(r, seekable, &m), MISTRALRS_OK) << mistralrs_last_error();
    expect_same_model(m);
    mistralrs_model_free(m);
  }
}

TEST_F(CapiLoadMemory, TruncatedAndGarbageBuffersAreErrors) {
  mistralrs_model* m = nullptr;
  // Every cut in the header region, then a spread over the tensor data.
  std::vector<size_t> cuts;
  for (size_t n = 1; n < 4096 && n < bytes_.size(); n += 7) cuts.push_back(n);
  for (size_t n = 4096; n < bytes_.size(); n += bytes_.size() / 50) cuts.push_back(n);
  cuts.push_back(bytes_.size() - 1);
  for (size_t n : cuts) {
    const int32_t st = mistralrs_model_load_from_memory(rt_, bytes_.data(), n, nullptr, &m);
    ASSERT_NE(st, MISTRALRS_OK) << "a buffer cut at " << n << " bytes loaded";
    EXPECT_EQ(m, nullptr);
    EXPECT_STRNE(mistralrs_last_error(), "");
  }
  std::mt19937 rng(7);
  std::vector<unsigned char> garbage(bytes_.size());
  for (auto& b : garbage) b = static_cast<unsigned char>(rng());
  EXPECT_NE(mistralrs_model_load_from_memory(rt_, garbage.data(), garbage.size(), nullptr, &m), MISTRALRS_OK);
  // The real magic followed by garbage.
  std::memcpy(garbage.data(), bytes_.data(), 8);
  EXPECT_NE(mistralrs_model_load_from_memory(rt_, garbage.data(), garbage.size(), nullptr, &m), MISTRALRS_OK);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(mistralrs_model_load_from_memory(rt_, bytes_.data(), 0, nullptr, &m), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_load_from_memory(rt_, nullptr, 10, nullptr, &m), MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_load_from_memory(nullptr, bytes_.data(), bytes_.size(), nullptr, &m),
            MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mistralrs_model_load_from_memory(rt_, bytes_.data(), bytes_.size(), nullptr, nullptr),
            MISTRALRS_ERR_INVALID_ARGUMENT);
}

TEST_F(CapiLoadMemory, FailingReadersAreErrors) {
  mistralrs_model* m = nullptr;
  for (const bool seekable : {true, false}) {
    for (size_t fail_at : {size_t{0}, size_t{100}, bytes_.size() / 2}) {
      Reader r;
      r.fail_at = fail_at;
      EXPECT_EQ(load_reader(r, seekable, &m), MISTRALRS_ERR_IO) << fail_at;
      EXPECT_NE(std::string(mistralrs_last_error()).find("read callback failed"), std::string::npos);
      EXPECT_EQ(m, nullptr);
    }
    Reader over;
    over.overread = true;
    EXPECT_EQ(load_reader(over, seekable, &m), MISTRALRS_ERR_INVALID_ARGUMENT);
  }
  Reader bad_seek;
  bad_seek.fail_seek = true;
  EXPECT_EQ(load_reader(bad_seek, true, &m), MISTRALRS_ERR_IO);
  // The seek callback promises more bytes than the stream has.
  Reader short_stream;
  short_stream.reported_size = static_cast<int64_t>(bytes_.size()) + 10;
  EXPECT_EQ(load_reader(short_stream, true, &m), MISTRALRS_ERR_IO);
  EXPECT_NE(std::string(mistralrs_last_error()).find("the stream ended"), std::string::npos);
  // A stream that stops early (read returns 0) is a truncated GGUF.
  std::vector<unsigned char> half(bytes_.begin(), bytes_.begin() + static_cast<long>(bytes_.size() / 2));
  Reader truncated;
  truncated.bytes = &half;
  EXPECT_NE(mistralrs_model_load_from_reader(rt_, reader_read, nullptr, &truncated, nullptr, &m), MISTRALRS_OK);
  EXPECT_EQ(mistralrs_model_load_from_reader(rt_, nullptr, reader_seek, &truncated, nullptr, &m),
            MISTRALRS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
}

}  // namespace
