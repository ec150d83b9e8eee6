// Device memory and device queries for the library (host-callable, no CUDA types exposed).
// Every function returns 0 on success or the cudaError_t value on failure.
#pragma once
#include <cstddef>

namespace mistralrs::kernels {

int cuda_device_count(int* count);        // 0 devices is success with *count = 0
// Zero-filled; returns after the fill has completed (it runs on the legacy stream, which
// the library's non-blocking session streams are not ordered after).
int cuda_malloc(void** ptr, size_t bytes, int device);
int cuda_free(void* ptr);
// Synchronous copies on the legacy stream. h2d returns once the device holds the bytes;
// d2h is not ordered after work on other streams: synchronise those first.
int cuda_memcpy_h2d(void* dst, const void* src, size_t bytes);
int cuda_memcpy_d2h(void* dst, const void* src, size_t bytes);
int cuda_memcpy_d2d(void* dst, const void* src, size_t bytes);
int cuda_synchronize(void* stream);       // null = the default stream
const char* cuda_error_string(int err);

// True for cudaErrorMemoryAllocation: the allocation did not fit, the context is unharmed
// (the caller reports out-of-memory, not a CUDA failure).
bool cuda_is_out_of_memory(int err);
// Makes `device` current on the calling thread (kernels launch on the current device).
int cuda_set_device(int device);
// Free and total bytes of `device`'s memory.
int cuda_mem_info(int device, size_t* free_bytes, size_t* total_bytes);

// A non-blocking stream on `device` (does not synchronise with the legacy default stream).
int cuda_stream_create(void** stream, int device);
int cuda_stream_destroy(void* stream);

// Page-locked host memory: asynchronous copies from and to it overlap and are allowed in
// graph capture; pageable memory would make the copy synchronous.
int cuda_host_alloc(void** ptr, size_t bytes);
int cuda_host_free(void* ptr);
int cuda_memcpy_h2d_async(void* dst, const void* src, size_t bytes, void* stream);
int cuda_memcpy_d2h_async(void* dst, const void* src, size_t bytes, void* stream);

// Clears the calling thread's last CUDA error (after a non-sticky failure such as an
// out-of-memory allocation or an aborted graph capture) and returns it.
int cuda_clear_last_error();

// Device-to-device cudaMemcpyAsync bandwidth on `device`: bytes read + written per second
// (GB/s = 1e9 bytes/s) for a copy of `bytes`, best of `reps` after one warm-up. The same
// definition as bench/cuda_ceilings.h's copy_bandwidth_gbs(), for the CLI's bench.
int cuda_copy_bandwidth_gbs(int device, size_t bytes, int reps, double* gbs);

}  // namespace mistralrs::kernels
