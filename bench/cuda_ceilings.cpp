#ifdef MISTRALRS_HAS_CUDA
#include "cuda_ceilings.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mistralrs::bench {
namespace {

// A buffer twice the L2 size, written once before each timed run so the run starts cold.
struct L2Flusher {
  void* buf = nullptr;
  size_t bytes = 0;
  L2Flusher() {
    int dev = 0, l2 = 0;
    if (cudaGetDevice(&dev) != cudaSuccess) return;
    if (cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev) != cudaSuccess || l2 <= 0) return;
    bytes = static_cast<size_t>(l2) * 2;
    if (cudaMalloc(&buf, bytes) != cudaSuccess) buf = nullptr;
  }
  ~L2Flusher() { cudaFree(buf); }
  int flush(cudaStream_t s) const {
    return buf ? static_cast<int>(cudaMemsetAsync(buf, 0x5a, bytes, s)) : 0;
  }
};

}  // namespace

std::string cuda_unavailable() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return std::string("CUDA: ") + cudaGetErrorString(e);
  }
  return n == 0 ? "no CUDA device" : "";
}

double time_ms(const std::function<int(void* stream)>& launch, int reps, int warmup, void* stream,
               std::string* err) {
  static L2Flusher flusher;
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  cudaEvent_t start = nullptr, stop = nullptr;
  std::vector<float> ms;
  int e = static_cast<int>(cudaEventCreate(&start));
  if (e == 0) e = static_cast<int>(cudaEventCreate(&stop));
  for (int i = 0; i < warmup && e == 0; ++i) e = launch(stream);
  for (int i = 0; i < reps && e == 0; ++i) {
    e = flusher.flush(s);
    if (e == 0) e = static_cast<int>(cudaEventRecord(start, s));
    if (e == 0) e = launch(stream);
    if (e == 0) e = static_cast<int>(cudaEventRecord(stop, s));
    if (e == 0) e = static_cast<int>(cudaEventSynchronize(stop));
    float t = 0.0f;
    if (e == 0) e = static_cast<int>(cudaEventElapsedTime(&t, start, stop));
    ms.push_back(t);
  }
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  if (e != 0 || ms.empty()) {
    if (err) *err = e != 0 ? cudaGetErrorString(static_cast<cudaError_t>(e)) : "no repetitions";
    return -1.0;
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double copy_bandwidth_gbs() {
  static double cached = [] {
    const size_t bytes = size_t{1} << 30;
    void *a = nullptr, *b = nullptr;
    if (cudaMalloc(&a, bytes) != cudaSuccess) return -1.0;
    if (cudaMalloc(&b, bytes) != cudaSuccess) {
      cudaFree(a);
      return -1.0;
    }
    std::string err;
    const double ms = time_ms(
        [&](void* s) {
          return static_cast<int>(
              cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(s)));
        },
        10, 2, nullptr, &err);
    cudaFree(a);
    cudaFree(b);
    return ms > 0 ? 2.0 * static_cast<double>(bytes) / (ms * 1e-3) / 1e9 : -1.0;
  }();
  return cached;
}

double gemm_bf16_tflops() {
  static double cached = [] {
    const int n = 8192;
    const size_t bytes = static_cast<size_t>(n) * n * 2;
    void *a = nullptr, *b = nullptr, *c = nullptr;
    cublasHandle_t h = nullptr;
    double result = -1.0;
    if (cudaMalloc(&a, bytes) == cudaSuccess && cudaMalloc(&b, bytes) == cudaSuccess &&
        cudaMalloc(&c, bytes) == cudaSuccess && cublasCreate(&h) == CUBLAS_STATUS_SUCCESS) {
      cudaMemset(a, 0x3c, bytes);  // small finite bf16 values
      cudaMemset(b, 0x3c, bytes);
      const float alpha = 1.0f, beta = 0.0f;
      std::string err;
      const double ms = time_ms(
          [&](void*) {
            return cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &alpha, a, CUDA_R_16BF, n, b,
                                CUDA_R_16BF, n, &beta, c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS
                       ? 0
                       : static_cast<int>(cudaErrorUnknown);
          },
          10, 3, nullptr, &err);
      if (ms > 0) result = 2.0 * n * static_cast<double>(n) * n / (ms * 1e-3) / 1e12;
    }
    if (h) cublasDestroy(h);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
    return result;
  }();
  return cached;
}

}  // namespace mistralrs::bench

#endif  // MISTRALRS_HAS_CUDA
