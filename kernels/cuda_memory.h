// Device memory and device queries for the library (host-callable, no CUDA types exposed).
// Every function returns 0 on success or the cudaError_t value on failure.
#pragma once
#include <cstddef>

namespace mistralrs::kernels {

int cuda_device_count(int* count);        // 0 devices is success with *count = 0
int cuda_malloc(void** ptr, size_t bytes, int device);  // zero-filled
int cuda_free(void* ptr);
int cuda_memcpy_h2d(void* dst, const void* src, size_t bytes);
int cuda_memcpy_d2h(void* dst, const void* src, size_t bytes);
int cuda_memcpy_d2d(void* dst, const void* src, size_t bytes);
int cuda_synchronize(void* stream);       // null = the default stream
const char* cuda_error_string(int err);

}  // namespace mistralrs::kernels
