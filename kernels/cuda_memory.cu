#include "cuda_memory.h"

#include <cuda_runtime.h>

namespace mistralrs::kernels {

int cuda_device_count(int* count) {
  *count = 0;
  cudaError_t e = cudaGetDeviceCount(count);
  if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
    cudaGetLastError();  // clear the sticky-free error so later calls are not confused
    *count = 0;
    return 0;
  }
  return static_cast<int>(e);
}

// The blocking copies and the memset below run on the legacy default stream, which does not
// order against the non-blocking streams the sessions launch on (cuda_stream_create), and
// cudaMemset and pageable host-to-device cudaMemcpy may return before the device has
// finished (CUDA runtime "API synchronization behavior"). Both wait for their own work so
// that a kernel on another stream never races them. (cuda_memcpy_d2d does not wait: its one
// user, bench_cuda_ops, times back-to-back copies on the legacy stream.)
int cuda_malloc(void** ptr, size_t bytes, int device) {
  *ptr = nullptr;
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return static_cast<int>(e);
  e = cudaMalloc(ptr, bytes == 0 ? 1 : bytes);
  if (e != cudaSuccess) return static_cast<int>(e);
  e = cudaMemset(*ptr, 0, bytes);
  if (e == cudaSuccess) e = cudaStreamSynchronize(cudaStreamLegacy);
  if (e != cudaSuccess) {
    cudaFree(*ptr);
    *ptr = nullptr;
  }
  return static_cast<int>(e);
}

int cuda_free(void* ptr) { return static_cast<int>(cudaFree(ptr)); }

int cuda_memcpy_h2d(void* dst, const void* src, size_t bytes) {
  cudaError_t e = cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice);
  if (e == cudaSuccess) e = cudaStreamSynchronize(cudaStreamLegacy);
  return static_cast<int>(e);
}
int cuda_memcpy_d2h(void* dst, const void* src, size_t bytes) {
  return static_cast<int>(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
int cuda_memcpy_d2d(void* dst, const void* src, size_t bytes) {
  return static_cast<int>(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
}
int cuda_synchronize(void* stream) {
  return static_cast<int>(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
}
const char* cuda_error_string(int err) { return cudaGetErrorString(static_cast<cudaError_t>(err)); }

}  // namespace mistralrs::kernels

namespace mistralrs::kernels {

bool cuda_is_out_of_memory(int err) { return err == static_cast<int>(cudaErrorMemoryAllocation); }

int cuda_set_device(int device) { return static_cast<int>(cudaSetDevice(device)); }

int cuda_mem_info(int device, size_t* free_bytes, size_t* total_bytes) {
  *free_bytes = *total_bytes = 0;
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return static_cast<int>(e);
  return static_cast<int>(cudaMemGetInfo(free_bytes, total_bytes));
}

int cuda_stream_create(void** stream, int device) {
  *stream = nullptr;
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return static_cast<int>(e);
  cudaStream_t s = nullptr;
  e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  if (e == cudaSuccess) *stream = s;
  return static_cast<int>(e);
}

int cuda_stream_destroy(void* stream) {
  return stream ? static_cast<int>(cudaStreamDestroy(static_cast<cudaStream_t>(stream))) : 0;
}

int cuda_host_alloc(void** ptr, size_t bytes) {
  *ptr = nullptr;
  return static_cast<int>(cudaMallocHost(ptr, bytes == 0 ? 1 : bytes));
}

int cuda_host_free(void* ptr) { return ptr ? static_cast<int>(cudaFreeHost(ptr)) : 0; }

int cuda_memcpy_h2d_async(void* dst, const void* src, size_t bytes, void* stream) {
  return static_cast<int>(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream)));
}

int cuda_memcpy_d2h_async(void* dst, const void* src, size_t bytes, void* stream) {
  return static_cast<int>(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(stream)));
}

int cuda_clear_last_error() { return static_cast<int>(cudaGetLastError()); }

int cuda_copy_bandwidth_gbs(int device, size_t bytes, int reps, double* gbs) {
  *gbs = 0.0;
  if (bytes == 0 || reps <= 0) return static_cast<int>(cudaErrorInvalidValue);
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) return static_cast<int>(e);
  void *a = nullptr, *b = nullptr;
  cudaStream_t s = nullptr;
  cudaEvent_t t0 = nullptr, t1 = nullptr;
  float best_ms = 0.0f;
  if ((e = cudaMalloc(&a, bytes)) != cudaSuccess || (e = cudaMalloc(&b, bytes)) != cudaSuccess ||
      (e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking)) != cudaSuccess ||
      (e = cudaEventCreate(&t0)) != cudaSuccess || (e = cudaEventCreate(&t1)) != cudaSuccess)
    goto done;
  for (int r = 0; r <= reps; ++r) {  // repetition 0 warms up
    if ((e = cudaEventRecord(t0, s)) != cudaSuccess ||
        (e = cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s)) != cudaSuccess ||
        (e = cudaEventRecord(t1, s)) != cudaSuccess || (e = cudaEventSynchronize(t1)) != cudaSuccess)
      goto done;
    float ms = 0.0f;
    if ((e = cudaEventElapsedTime(&ms, t0, t1)) != cudaSuccess) goto done;
    if (r > 0 && (best_ms == 0.0f || ms < best_ms)) best_ms = ms;
  }
  if (best_ms > 0.0f) *gbs = 2.0 * static_cast<double>(bytes) / (best_ms * 1e-3) / 1e9;
done:
  if (t1) cudaEventDestroy(t1);
  if (t0) cudaEventDestroy(t0);
  if (s) cudaStreamDestroy(s);
  cudaFree(b);
  cudaFree(a);
  return static_cast<int>(e);
}

}  // namespace mistralrs::kernels
