// Runtime CPU feature detection for SIMD dispatch (x86-64; other targets report none).
#pragma once

namespace mistralrs {

struct CpuFeatures {
  bool avx2 = false;     // AVX2 + FMA + F16C
  bool avx512 = false;   // AVX-512 F, BW, VL, DQ
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
};

// Detected once (cpuid + xgetbv), then cached.
const CpuFeatures& cpu_features();

}  // namespace mistralrs
