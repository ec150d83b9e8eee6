// Shared by the CUDA tests: whether a device test can run here, and the skip that says why
// not. Only with MISTRALRS_HAS_CUDA.
#pragma once
#ifdef MISTRALRS_HAS_CUDA
#include <gtest/gtest.h>

#include <string>

namespace mistralrs::test {

// Empty when a CUDA device is usable here, else why not.
std::string cuda_unavailable_reason();

}  // namespace mistralrs::test

// In a fixture's SetUp (or a test body): skips, with the reason, unless a device is usable.
// `what` names the tests ("the CUDA matmul tests").
#define MISTRALRS_SKIP_WITHOUT_CUDA(what)                                        \
  do {                                                                           \
    const std::string why_ = ::mistralrs::test::cuda_unavailable_reason();       \
    if (!why_.empty()) GTEST_SKIP() << why_ << "; " << (what) << " need a GPU";  \
  } while (0)

#endif  // MISTRALRS_HAS_CUDA
