// mistralrs_model_load_from_memory / _from_reader: a GGUF model from bytes the caller holds
// or streams (assets inside game packages). Either way the bytes end up copied into one
// 64-byte aligned buffer that the model owns: the tensors are viewed in place there, as
// they are in a memory-mapped file.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "capi/guard.h"
#include "capi/handles.h"
#include "formats/gguf.h"

using namespace mistralrs;
using capi::guarded;
using capi::null_argument;

namespace {

// Largest request passed to one read callback call; bounds what a reader must handle.
constexpr size_t kReadChunk = size_t{1} << 24;

Expected<std::shared_ptr<Storage>> copy_bytes(const void* data, size_t size) {
  auto storage = AlignedStorage::create(size);
  if (!storage) return storage.status();
  std::memcpy(storage.value()->data(), data, size);
  return storage;
}

// Reads exactly `size` bytes into dst; a short stream or a failing callback is an error.
Status read_exactly(mistralrs_read_callback read, void* user_data, unsigned char* dst, size_t size) {
  size_t done = 0;
  while (done < size) {
    const size_t want = std::min(kReadChunk, size - done);
    const int64_t got = read(dst + done, want, user_data);
    if (got < 0) return io_error("the read callback failed at byte " + std::to_string(done));
    if (got == 0)
      return io_error("the stream ended after " + std::to_string(done) + " of " + std::to_string(size) + " bytes");
    if (static_cast<uint64_t>(got) > want)
      return invalid_argument("the read callback returned " + std::to_string(got) + " bytes for a request of " +
                              std::to_string(want));
    done += static_cast<size_t>(got);
  }
  return Status::ok();
}

// With a seek callback: the size from seeking to the end, then one pass from position 0.
Expected<std::shared_ptr<Storage>> read_seekable(mistralrs_read_callback read, mistralrs_seek_callback seek,
                                                 void* user_data) {
  const int64_t end = seek(0, MISTRALRS_SEEK_END, user_data);
  if (end < 0) return io_error("the seek callback failed seeking to the end");
  if (static_cast<uint64_t>(end) > SIZE_MAX - 4096) return invalid_argument("the stream is too large for this platform");
  if (seek(0, MISTRALRS_SEEK_SET, user_data) != 0) return io_error("the seek callback failed seeking to 0");
  auto storage = AlignedStorage::create(static_cast<size_t>(end));
  if (!storage) return storage.status();
  auto* dst = static_cast<unsigned char*>(storage.value()->data());
  MISTRALRS_RETURN_IF_ERROR(read_exactly(read, user_data, dst, static_cast<size_t>(end)));
  return storage;
}

// Without one: read to the end in pieces, then copy once into aligned memory.
Expected<std::shared_ptr<Storage>> read_stream(mistralrs_read_callback read, void* user_data) {
  constexpr size_t kPiece = size_t{1} << 20;
  std::vector<unsigned char> bytes, piece(kPiece);
  for (;;) {
    const int64_t got = read(piece.data(), kPiece, user_data);
    if (got < 0) return io_error("the read callback failed at byte " + std::to_string(bytes.size()));
    if (got == 0) break;
    if (static_cast<uint64_t>(got) > kPiece)
      return invalid_argument("the read callback returned " + std::to_string(got) + " bytes for a request of " +
                              std::to_string(kPiece));
    bytes.insert(bytes.end(), piece.begin(), piece.begin() + got);
  }
  if (bytes.empty()) return invalid_argument("the stream is empty");
  return copy_bytes(bytes.data(), bytes.size());
}

Status load_storage(mistralrs_runtime* runtime, Expected<std::shared_ptr<Storage>> storage, const char* origin,
                    const mistralrs_model_options* options, mistralrs_model** out) {
  if (!storage) return storage.status();
  auto gguf = GgufFile::parse(std::move(storage.value()), origin);
  if (!gguf) return gguf.status();
  return capi::make_model(runtime, TextModel::from_gguf(std::move(gguf.value()), capi::cache_options(options),
                                                                         capi::model_device(options)),
                          origin, out);
}

}  // namespace

extern "C" {

MISTRALRS_API int32_t mistralrs_model_load_from_memory(mistralrs_runtime* runtime, const void* data, size_t size,
                                                       const mistralrs_model_options* options,
                                                       mistralrs_model** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!runtime) return null_argument("runtime");
    if (!data) return null_argument("data");
    if (size == 0) return invalid_argument("the buffer is empty");
    return load_storage(runtime, copy_bytes(data, size), "<memory>", options, out);
  });
}

MISTRALRS_API int32_t mistralrs_model_load_from_reader(mistralrs_runtime* runtime, mistralrs_read_callback read_fn,
                                                       mistralrs_seek_callback seek_fn, void* user_data,
                                                       const mistralrs_model_options* options,
                                                       mistralrs_model** out) {
  return guarded(__func__, [&]() -> Status {
    if (!out) return null_argument("out");
    *out = nullptr;
    if (!runtime) return null_argument("runtime");
    if (!read_fn) return null_argument("read_fn");
    auto storage = seek_fn ? read_seekable(read_fn, seek_fn, user_data) : read_stream(read_fn, user_data);
    return load_storage(runtime, std::move(storage), "<reader>", options, out);
  });
}

}  // extern "C"
