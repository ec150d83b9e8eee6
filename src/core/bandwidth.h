// Memory bandwidth as STREAM's triad measures it: a[i] = b[i] + s * c[i] over three arrays
// much larger than the caches. The figure every decode speed is compared against.
#pragma once
#include <cstddef>

#include "core/thread_pool.h"

namespace mistralrs {

// Best-of-`repetitions` triad bandwidth in GB/s (1e9 bytes/s), counting 3 arrays of
// `bytes_per_array` bytes per pass as STREAM does (write-allocate traffic not counted).
// Uses every thread of `pool` (null = the calling thread only). Returns 0 on allocation failure.
double measure_triad_bandwidth_gbs(ThreadPool* pool, size_t bytes_per_array = size_t{128} << 20,
                                   int repetitions = 5);

}  // namespace mistralrs
