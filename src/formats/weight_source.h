// A WeightSource maps tensor names to tensors that view memory-mapped file bytes (no copy).
// safetensors (one file or sharded) and GGUF both implement it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace mistralrs {

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual bool has(const std::string& name) const = 0;
  // The tensor, sharing the mapping's storage. Shape in row-major order (outermost first,
  // as PyTorch prints it); GGUF's ne[] order is reversed into this. Missing name: an
  // invalid-argument status naming the tensor and the file.
  virtual Expected<Tensor> tensor(const std::string& name) const = 0;
  virtual std::vector<std::string> names() const = 0;
  // For messages: the file (or directory) the weights come from.
  virtual const std::string& origin() const = 0;
};

}  // namespace mistralrs
