// Cast among f32, f16 and bf16. Rows of cols elements; threadIdx.x/blockIdx.x walk a row in
// groups of kVec elements, threadIdx.y/blockIdx.y walk rows, both grid-stride; dense
// operands collapse to one long row. kVec = 4 moves 16 bytes of f32 or 8 of a 16-bit type
// per thread when both operands are aligned for it.
//
// f16: the hardware conversion (cvt.rn, IEEE round to nearest even with subnormals) for
// everything but NaN, which is handled explicitly because the hardware returns a canonical
// NaN while core/dtype.h keeps the sign (and, going up, the payload). bf16: integer
// rounding, the same expression as core/dtype.h.
#include "cast.h"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace mistralrs::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxGridDim = 65535;

struct F32 {
  using Storage = float;
};
struct F16 {
  using Storage = uint16_t;
};
struct BF16 {
  using Storage = uint16_t;
};

__device__ inline float to_f32(F32, float v) { return v; }
__device__ inline float to_f32(BF16, uint16_t h) { return __uint_as_float(uint32_t{h} << 16); }
__device__ inline float to_f32(F16, uint16_t h) {
  if ((h & 0x7fffu) > 0x7c00u)  // NaN: sign and payload kept, as fp16_to_fp32
    return __uint_as_float((uint32_t{h & 0x8000u} << 16) | 0x7f800000u | (uint32_t{h & 0x3ffu} << 13));
  return __half2float(__ushort_as_half(h));
}

__device__ inline float from_f32(F32, float f) { return f; }
__device__ inline uint16_t from_f32(BF16, float f) {
  uint32_t bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}
__device__ inline uint16_t from_f32(F16, float f) {
  const uint32_t bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>(((bits >> 16) & 0x8000u) | 0x7e00u);
  return __half_as_ushort(__float2half_rn(f));
}

template <class In, class Out>
__device__ inline typename Out::Storage convert(typename In::Storage v) {
  if constexpr (std::is_same_v<In, Out>) {
    return v;  // a bit copy: NaN payloads untouched
  } else {
    return from_f32(Out{}, to_f32(In{}, v));
  }
}

template <class T>
struct Four {
  T v[4];
};
__device__ inline Four<float> load4(const float* p, int64_t i) {
  const float4 q = reinterpret_cast<const float4*>(p)[i];
  return {{q.x, q.y, q.z, q.w}};
}
__device__ inline Four<uint16_t> load4(const uint16_t* p, int64_t i) {
  const uint2 q = reinterpret_cast<const uint2*>(p)[i];  // little-endian: low half first
  return {{static_cast<uint16_t>(q.x), static_cast<uint16_t>(q.x >> 16),
           static_cast<uint16_t>(q.y), static_cast<uint16_t>(q.y >> 16)}};
}
__device__ inline void store4(float* p, int64_t i, const Four<float>& f) {
  reinterpret_cast<float4*>(p)[i] = make_float4(f.v[0], f.v[1], f.v[2], f.v[3]);
}
__device__ inline void store4(uint16_t* p, int64_t i, const Four<uint16_t>& f) {
  reinterpret_cast<uint2*>(p)[i] = make_uint2(f.v[0] | (uint32_t{f.v[1]} << 16),
                                              f.v[2] | (uint32_t{f.v[3]} << 16));
}

template <class In, class Out, int kVec>
__global__ void cast_kernel(const typename In::Storage* x, typename Out::Storage* y,
                            int64_t rows, int64_t n_vec, int64_t x_stride, int64_t y_stride) {
  for (int64_t r = blockIdx.y * int64_t{blockDim.y} + threadIdx.y; r < rows;
       r += int64_t{gridDim.y} * blockDim.y) {
    const typename In::Storage* xr = x + r * x_stride;
    typename Out::Storage* yr = y + r * y_stride;
    for (int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; c < n_vec;
         c += int64_t{gridDim.x} * blockDim.x) {
      if constexpr (kVec == 4) {
        const Four<typename In::Storage> a = load4(xr, c);
        Four<typename Out::Storage> b;
        for (int k = 0; k < 4; ++k) b.v[k] = convert<In, Out>(a.v[k]);
        store4(yr, c, b);
      } else {
        yr[c] = convert<In, Out>(xr[c]);
      }
    }
  }
}

int elem_bytes(CastType t) { return t == CastType::kF32 ? 4 : 2; }

bool aligned(const void* p, int bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// Grid and block for [rows, cols]; short rows get more rows per block.
template <class In, class Out>
int launch(const void* x, void* y, int64_t rows, int64_t cols, int64_t xs, int64_t ys,
           cudaStream_t s) {
  if (rows > 1 && xs == cols && ys == cols) {  // dense: one long row
    cols *= rows;
    rows = 1;
  }
  const bool strides4 = rows == 1 || (xs % 4 == 0 && ys % 4 == 0);
  const bool vec4 = cols % 4 == 0 && strides4 && aligned(x, 4 * sizeof(typename In::Storage)) &&
                    aligned(y, 4 * sizeof(typename Out::Storage));
  const int64_t n_vec = vec4 ? cols / 4 : cols;
  const int64_t bx = std::min<int64_t>(kThreads, (n_vec + 31) / 32 * 32);
  const int64_t by = kThreads / bx;
  const dim3 block(static_cast<unsigned>(bx), static_cast<unsigned>(by));
  const dim3 grid(static_cast<unsigned>(std::min(kMaxGridDim, (n_vec + bx - 1) / bx)),
                  static_cast<unsigned>(std::min(kMaxGridDim, (rows + by - 1) / by)));
  const auto* xp = static_cast<const typename In::Storage*>(x);
  auto* yp = static_cast<typename Out::Storage*>(y);
  if (vec4) {
    cast_kernel<In, Out, 4><<<grid, block, 0, s>>>(xp, yp, rows, n_vec, xs, ys);
  } else {
    cast_kernel<In, Out, 1><<<grid, block, 0, s>>>(xp, yp, rows, n_vec, xs, ys);
  }
  return static_cast<int>(cudaGetLastError());
}

template <class In>
int launch_from(const void* x, CastType yt, void* y, int64_t rows, int64_t cols, int64_t xs,
                int64_t ys, cudaStream_t s) {
  switch (yt) {
    case CastType::kF32: return launch<In, F32>(x, y, rows, cols, xs, ys, s);
    case CastType::kF16: return launch<In, F16>(x, y, rows, cols, xs, ys, s);
    case CastType::kBF16: return launch<In, BF16>(x, y, rows, cols, xs, ys, s);
  }
  return cudaErrorInvalidValue;
}

bool known(CastType t) { return t == CastType::kF32 || t == CastType::kF16 || t == CastType::kBF16; }

}  // namespace

int cast_rows(const void* x, CastType x_type, void* y, CastType y_type, int64_t rows,
              int64_t cols, int64_t x_stride, int64_t y_stride, void* stream) {
  if (rows < 0 || cols < 0 || !known(x_type) || !known(y_type)) return cudaErrorInvalidValue;
  if (rows == 0 || cols == 0) return 0;
  if (!x || !y || x_stride < 0 || y_stride < 0) return cudaErrorInvalidValue;
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const bool dense = rows == 1 || (x_stride == cols && y_stride == cols);
  if (x_type == y_type && dense) {
    const size_t bytes = static_cast<size_t>(rows * cols) * elem_bytes(x_type);
    return static_cast<int>(cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, s));
  }
  switch (x_type) {
    case CastType::kF32: return launch_from<F32>(x, y_type, y, rows, cols, x_stride, y_stride, s);
    case CastType::kF16: return launch_from<F16>(x, y_type, y, rows, cols, x_stride, y_stride, s);
    case CastType::kBF16: return launch_from<BF16>(x, y_type, y, rows, cols, x_stride, y_stride, s);
  }
  return cudaErrorInvalidValue;
}

}  // namespace mistralrs::kernels
