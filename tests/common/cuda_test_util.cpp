#ifdef MISTRALRS_HAS_CUDA
#include "common/cuda_test_util.h"

#include "cuda_memory.h"

namespace mistralrs::test {

std::string cuda_unavailable_reason() {
  int n = 0;
  const int err = kernels::cuda_device_count(&n);
  if (err != 0) return std::string("CUDA device query failed: ") + kernels::cuda_error_string(err);
  return n == 0 ? "no CUDA device present" : "";
}

}  // namespace mistralrs::test
#endif  // MISTRALRS_HAS_CUDA
