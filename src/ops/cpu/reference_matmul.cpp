#include "ops/cpu/reference_matmul.h"

#include <cmath>
#include <vector>

#include "core/quant.h"

namespace mistralrs::ref {

bool matmul(const float* x, int64_t ldx, const void* w, DType w_type, int64_t w_row_bytes,
            double* y, int64_t ldy, int64_t m, int64_t n, int64_t k, double* abs_y) {
  std::vector<float> row(static_cast<size_t>(k));
  for (int64_t c = 0; c < n; ++c) {
    if (!dequantize_row(w_type, static_cast<const uint8_t*>(w) + c * w_row_bytes, row.data(), k))
      return false;
    for (int64_t r = 0; r < m; ++r) {
      double s = 0.0, a = 0.0;
      for (int64_t i = 0; i < k; ++i) {
        const double p = static_cast<double>(x[r * ldx + i]) * static_cast<double>(row[static_cast<size_t>(i)]);
        s += p;
        a += std::fabs(p);
      }
      y[r * ldy + c] = s;
      if (abs_y) abs_y[r * ldy + c] = a;
    }
  }
  return true;
}

}  // namespace mistralrs::ref
