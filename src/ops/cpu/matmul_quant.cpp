// Loop nest of the integer matmul path (w in q8_0, q4_0, q4_k or q6_k). The activations
// were quantized once per call (QuantizedRows); per thread, for its columns [n0, n1):
//   for each panel of mc rows of x           (mc * k int8 <= 256 KiB: stays in L2)
//     for each tile of kTileN rows of w      (4 rows x k: q4_0 at k = 4096 is 9 KiB, L1)
//       for each tile of kTileM rows of x: the kernel over all of k, then store into y
// Weights are read once per panel: once in total for decode (m <= mc).
#include <algorithm>

#include "ops/cpu/matmul_kernels.h"

namespace mistralrs::cpu {

namespace {
constexpr int64_t kPanelBytes = int64_t{256} << 10;
}  // namespace

void quantized_layout(DType w_type, int* block, int* sum_group) {
  switch (w_type) {
    case DType::kQ4_K: *block = 256, *sum_group = 32; return;
    case DType::kQ6_K: *block = 256, *sum_group = 16; return;
    default: *block = 32, *sum_group = 32; return;  // q8_0, q4_0
  }
}

void matmul_quant_range(const QuantKernels& kern, const MatmulArgs& a, const QuantizedRows& q,
                        int64_t n0, int64_t n1) {
  const int64_t mc = std::max<int64_t>(kTileM, kPanelBytes / std::max<int64_t>(a.k, 1) / kTileM * kTileM);
  for (int64_t m0 = 0; m0 < a.m; m0 += mc) {
    const int64_t m1 = std::min(a.m, m0 + mc);
    for (int64_t n = n0; n < n1; n += kTileN) {
      const int nr = static_cast<int>(std::min<int64_t>(kTileN, n1 - n));
      const uint8_t* rows[kTileN];  // a tail tile repeats its last row; extra sums are dropped
      for (int j = 0; j < kTileN; ++j)
        rows[j] = static_cast<const uint8_t*>(a.w) + (n + std::min(j, nr - 1)) * a.w_row_bytes;
      for (int64_t m = m0; m < m1; m += kTileM) {
        const int mr = static_cast<int>(std::min<int64_t>(kTileM, m1 - m));
        float out[kTileM * kTileN];
        // The first row tile streams w from memory: prefetch the next tile meanwhile.
        kern.tile(a.w_type, q, m, mr, rows, m == m0 ? kPrefetchTiles * kTileN * a.w_row_bytes : 0, out);
        for (int r = 0; r < mr; ++r) std::copy_n(out + r * kTileN, nr, a.y + (m + r) * a.ldy + n);
      }
    }
  }
}

}  // namespace mistralrs::cpu
