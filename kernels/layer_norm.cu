// Layer norm: one block per row (grid-stride over rows), three sweeps over the row: sum for
// the mean, sum of squared deviations for the variance (no E[x^2] - E[x]^2 cancellation),
// then the normalised write. The second and third sweeps mostly hit L1/L2. Each thread
// touches the same elements in every sweep, so y may alias x.
#include "layer_norm.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "block_reduce.cuh"

namespace mistralrs::kernels {
namespace {

constexpr int kMaxThreads = 512;
constexpr int64_t kMaxBlocks = 65535;

// Vector of kVec floats: float4 when rows are 16-byte aligned and cols % 4 == 0.
template <int kVec>
struct Floats {
  float v[kVec];
};
template <int kVec>
__device__ inline Floats<kVec> load(const float* p, int64_t i) {
  Floats<kVec> f;
  if constexpr (kVec == 4) {
    const float4 q = reinterpret_cast<const float4*>(p)[i];
    f.v[0] = q.x, f.v[1] = q.y, f.v[2] = q.z, f.v[3] = q.w;
  } else {
    f.v[0] = p[i];
  }
  return f;
}
template <int kVec>
__device__ inline void store(float* p, int64_t i, const Floats<kVec>& f) {
  if constexpr (kVec == 4) {
    reinterpret_cast<float4*>(p)[i] = make_float4(f.v[0], f.v[1], f.v[2], f.v[3]);
  } else {
    p[i] = f.v[0];
  }
}

template <int kVec>
__global__ void __launch_bounds__(kMaxThreads)
    layer_norm_kernel(const float* x, const float* w, const float* b, float* y, int64_t rows,
                      int64_t cols, int64_t x_stride, int64_t y_stride, float eps) {
  __shared__ float partial[kMaxThreads / kWarpSize];
  const int64_t n_vec = cols / kVec;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * x_stride;
    float* yr = y + r * y_stride;
    float sum = 0.0f;
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      const Floats<kVec> v = load<kVec>(xr, i);
      for (int k = 0; k < kVec; ++k) sum += v.v[k];
    }
    // Divided, not multiplied by 1/n, as the CPU op does.
    const float mean = block_sum(sum, partial) / static_cast<float>(cols);
    float sq = 0.0f;
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      const Floats<kVec> v = load<kVec>(xr, i);
      for (int k = 0; k < kVec; ++k) sq += (v.v[k] - mean) * (v.v[k] - mean);
    }
    const float var = block_sum(sq, partial) / static_cast<float>(cols);
    // 1/sqrtf is correctly rounded (rsqrtf is not); once per row.
    const float rstd = 1.0f / sqrtf(var + eps);
    for (int64_t i = threadIdx.x; i < n_vec; i += blockDim.x) {
      Floats<kVec> v = load<kVec>(xr, i);
      const Floats<kVec> g = load<kVec>(w, i);
      for (int k = 0; k < kVec; ++k) v.v[k] = (v.v[k] - mean) * rstd * g.v[k];
      if (b != nullptr) {
        const Floats<kVec> c = load<kVec>(b, i);
        for (int k = 0; k < kVec; ++k) v.v[k] += c.v[k];
      }
      store<kVec>(yr, i, v);
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

int layer_norm_f32(const float* x, const float* w, const float* b, float* y, int64_t rows,
                   int64_t cols, int64_t x_stride, int64_t y_stride, float eps, void* stream) {
  if (rows < 0 || cols < 0) return cudaErrorInvalidValue;
  if (rows == 0 || cols == 0) return 0;
  if (!x || !w || !y || x_stride < 0 || y_stride < 0) return cudaErrorInvalidValue;
  // A single row's stride is never used to step, so it cannot break alignment.
  const bool strides_ok = rows == 1 || (x_stride % 4 == 0 && y_stride % 4 == 0);
  const bool vec4 = cols % 4 == 0 && strides_ok && aligned16(x) && aligned16(y) &&
                    aligned16(w) && (b == nullptr || aligned16(b));
  const int64_t n_vec = vec4 ? cols / 4 : cols;
  const int64_t threads = std::min<int64_t>(kMaxThreads, (n_vec + kWarpSize - 1) / kWarpSize * kWarpSize);
  const dim3 grid(static_cast<unsigned>(std::min(rows, kMaxBlocks)));
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (vec4) {
    layer_norm_kernel<4><<<grid, static_cast<unsigned>(threads), 0, s>>>(x, w, b, y, rows, cols,
                                                                         x_stride, y_stride, eps);
  } else {
    layer_norm_kernel<1><<<grid, static_cast<unsigned>(threads), 0, s>>>(x, w, b, y, rows, cols,
                                                                         x_stride, y_stride, eps);
  }
  return static_cast<int>(cudaGetLastError());
}

}  // namespace mistralrs::kernels
