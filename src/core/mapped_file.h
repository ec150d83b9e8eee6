// A read-only memory mapping of a whole file: the storage behind model weights.
#pragma once
#include <memory>
#include <string>

#include "core/tensor.h"

namespace mistralrs {

class MappedFile final : public Storage {
 public:
  // Maps `path` read-only. Errors name the file and the failing system call.
  static Expected<std::shared_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile() override;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  void* data() override { return data_; }
  const unsigned char* bytes() const { return static_cast<const unsigned char*>(data_); }
  size_t size() const override { return size_; }
  Device device() const override { return Device::cpu(); }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, void* d, size_t n) : path_(std::move(path)), data_(d), size_(n) {}
  std::string path_;
  void* data_;
  size_t size_;
};

}  // namespace mistralrs
