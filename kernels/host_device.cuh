// MISTRALRS_HD marks functions shared by the kernels and the CPU tests: __host__ __device__
// under nvcc, nothing under a plain C++ compiler (the functions say `inline` themselves).
#pragma once

#if defined(__CUDACC__)
#define MISTRALRS_HD __host__ __device__
#else
#define MISTRALRS_HD
#endif
