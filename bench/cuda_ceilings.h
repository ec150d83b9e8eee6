// Ceilings that the CUDA benchmarks report their figures against, measured by the same
// binary in the same run: device-to-device copy bandwidth and the cuBLAS bf16 GEMM rate.
// Also CUDA-event timing with an L2 flush between repetitions. Only with MISTRALRS_HAS_CUDA.
#pragma once
#ifdef MISTRALRS_HAS_CUDA
#include <cstddef>
#include <functional>
#include <string>

namespace mistralrs::bench {

// Empty when device 0 is usable, else why not (for SkipWithError).
std::string cuda_unavailable();

// Bytes read + written per second by cudaMemcpyAsync device-to-device of 1 GiB, best of
// several repetitions (GB/s = 1e9 bytes/s). Cached after the first call. <= 0 on failure.
double copy_bandwidth_gbs();

// cuBLAS bf16 x bf16 -> bf16 GEMM (f32 accumulation) at m = n = k = 8192, TFLOP/s (2mnk
// per multiply), best of several repetitions. Cached after the first call. <= 0 on failure.
double gemm_bf16_tflops();

// Runs `launch` (returns 0 or a cudaError_t) `reps` times on `stream` after `warmup` runs,
// flushing L2 (a write over a buffer twice its size) before each timed run, and returns the
// median milliseconds of one run measured with CUDA events, or a negative value with *err
// set on failure.
double time_ms(const std::function<int(void* stream)>& launch, int reps, int warmup, void* stream,
               std::string* err);

}  // namespace mistralrs::bench

#endif  // MISTRALRS_HAS_CUDA
