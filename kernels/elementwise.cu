#include "elementwise.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

namespace mistralrs::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxGridDim = 65535;  // gridDim.y's limit; grid-stride loops cover the rest

struct AddOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct MulOp {
  __device__ float operator()(float a, float b) const { return a * b; }
};
struct SiluOp {
  // expf(-x) overflows to inf for x < -88, giving x / inf = -0: the right limit.
  __device__ float operator()(float x) const { return x / (1.0f + expf(-x)); }
};
struct SiluMulOp {
  __device__ float operator()(float g, float u) const { return g / (1.0f + expf(-g)) * u; }
};
struct GeluErfOp {
  // 1 + erf(z) = erfc(-z): erfcf keeps full relative precision in the negative tail, where
  // 1 + erff(z) would cancel.
  __device__ float operator()(float x) const { return 0.5f * x * erfcf(-x * 0.70710678118654752f); }
};
struct GeluTanhOp {
  __device__ float operator()(float x) const {
    const float k = 0.79788456080286536f;  // sqrt(2 / pi)
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
  }
};

template <class Op>
__device__ float4 map4(Op op, float4 a) {
  return make_float4(op(a.x), op(a.y), op(a.z), op(a.w));
}
template <class Op>
__device__ float4 map4(Op op, float4 a, float4 b) {
  return make_float4(op(a.x, b.x), op(a.y, b.y), op(a.z, b.z), op(a.w, b.w));
}

// threadIdx.x/blockIdx.x walk the row in units of kVec floats, threadIdx.y/blockIdx.y walk
// rows; both grid-stride. Each element is read and written by one thread, so y may alias
// an input.
template <class Op, int kVec>
__global__ void unary_kernel(Op op, const float* x, float* y, int64_t rows, int64_t n_vec,
                             int64_t x_stride, int64_t y_stride) {
  using Vec = typename std::conditional<kVec == 4, float4, float>::type;
  for (int64_t r = blockIdx.y * int64_t{blockDim.y} + threadIdx.y; r < rows;
       r += int64_t{gridDim.y} * blockDim.y) {
    const Vec* xr = reinterpret_cast<const Vec*>(x + r * x_stride);
    Vec* yr = reinterpret_cast<Vec*>(y + r * y_stride);
    for (int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; c < n_vec;
         c += int64_t{gridDim.x} * blockDim.x) {
      if constexpr (kVec == 4) {
        yr[c] = map4(op, xr[c]);
      } else {
        yr[c] = op(xr[c]);
      }
    }
  }
}

// b_stride == 0 reads the same b row for every row (broadcast).
template <class Op, int kVec>
__global__ void binary_kernel(Op op, const float* a, const float* b, float* y, int64_t rows,
                              int64_t n_vec, int64_t a_stride, int64_t b_stride,
                              int64_t y_stride) {
  using Vec = typename std::conditional<kVec == 4, float4, float>::type;
  for (int64_t r = blockIdx.y * int64_t{blockDim.y} + threadIdx.y; r < rows;
       r += int64_t{gridDim.y} * blockDim.y) {
    const Vec* ar = reinterpret_cast<const Vec*>(a + r * a_stride);
    const Vec* br = reinterpret_cast<const Vec*>(b + r * b_stride);
    Vec* yr = reinterpret_cast<Vec*>(y + r * y_stride);
    for (int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; c < n_vec;
         c += int64_t{gridDim.x} * blockDim.x) {
      if constexpr (kVec == 4) {
        yr[c] = map4(op, ar[c], br[c]);
      } else {
        yr[c] = op(ar[c], br[c]);
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// How a [rows, cols] launch is laid out. Contiguous operands collapse to one long row so
// that small rows do not leave most of a block idle.
struct Plan {
  int64_t rows, cols;
  bool vec4;
  dim3 grid, block;
};

// strides/ptrs: every operand's row stride and base pointer.
Plan make_plan(int64_t rows, int64_t cols, std::initializer_list<int64_t> strides,
               std::initializer_list<const void*> ptrs) {
  Plan p{rows, cols, false, dim3(), dim3()};
  const bool all_dense =
      std::all_of(strides.begin(), strides.end(), [&](int64_t s) { return s == cols; });
  if (rows > 1 && all_dense) {
    p.cols = rows * cols;
    p.rows = 1;
  }
  const bool strides4 = p.rows == 1 || std::all_of(strides.begin(), strides.end(),
                                                   [](int64_t s) { return s % 4 == 0; });
  p.vec4 = p.cols % 4 == 0 && strides4 &&
           std::all_of(ptrs.begin(), ptrs.end(), [](const void* q) { return aligned16(q); });
  const int64_t n_vec = p.vec4 ? p.cols / 4 : p.cols;
  // Short rows: fewer threads along x, more rows per block.
  const int64_t bx = std::min<int64_t>(kThreads, (n_vec + 31) / 32 * 32);
  const int64_t by = kThreads / bx;
  p.block = dim3(static_cast<unsigned>(bx), static_cast<unsigned>(by));
  p.grid = dim3(static_cast<unsigned>(std::min(kMaxGridDim, (n_vec + bx - 1) / bx)),
                static_cast<unsigned>(std::min(kMaxGridDim, (p.rows + by - 1) / by)));
  return p;
}

template <class Op>
int launch_unary(Op op, const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                 int64_t y_stride, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  const Plan p = make_plan(rows, cols, {x_stride, y_stride}, {x, y});
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (p.vec4) {
    unary_kernel<Op, 4><<<p.grid, p.block, 0, s>>>(op, x, y, p.rows, p.cols / 4, x_stride, y_stride);
  } else {
    unary_kernel<Op, 1><<<p.grid, p.block, 0, s>>>(op, x, y, p.rows, p.cols, x_stride, y_stride);
  }
  return static_cast<int>(cudaGetLastError());
}

template <class Op>
int launch_binary(Op op, const float* a, const float* b, float* y, int64_t rows, int64_t cols,
                  int64_t a_stride, int64_t b_stride, int64_t y_stride, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  // A broadcast b (stride 0 != cols) keeps the launch from collapsing rows, and 0 is a
  // multiple of 4, so make_plan needs no special case for it.
  const Plan p = make_plan(rows, cols, {a_stride, b_stride, y_stride}, {a, b, y});
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (p.vec4) {
    binary_kernel<Op, 4><<<p.grid, p.block, 0, s>>>(op, a, b, y, p.rows, p.cols / 4, a_stride,
                                                     b_stride, y_stride);
  } else {
    binary_kernel<Op, 1><<<p.grid, p.block, 0, s>>>(op, a, b, y, p.rows, p.cols, a_stride,
                                                     b_stride, y_stride);
  }
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int add_f32(const float* a, const float* b, float* y, int64_t rows, int64_t cols,
            int64_t a_stride, int64_t b_stride, int64_t y_stride, void* stream) {
  return launch_binary(AddOp{}, a, b, y, rows, cols, a_stride, b_stride, y_stride, stream);
}
int mul_f32(const float* a, const float* b, float* y, int64_t rows, int64_t cols,
            int64_t a_stride, int64_t b_stride, int64_t y_stride, void* stream) {
  return launch_binary(MulOp{}, a, b, y, rows, cols, a_stride, b_stride, y_stride, stream);
}
int silu_mul_f32(const float* gate, const float* up, float* y, int64_t rows, int64_t cols,
                 int64_t gate_stride, int64_t up_stride, int64_t y_stride, void* stream) {
  return launch_binary(SiluMulOp{}, gate, up, y, rows, cols, gate_stride, up_stride, y_stride,
                       stream);
}
int silu_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
             int64_t y_stride, void* stream) {
  return launch_unary(SiluOp{}, x, y, rows, cols, x_stride, y_stride, stream);
}
int gelu_erf_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                 int64_t y_stride, void* stream) {
  return launch_unary(GeluErfOp{}, x, y, rows, cols, x_stride, y_stride, stream);
}
int gelu_tanh_f32(const float* x, float* y, int64_t rows, int64_t cols, int64_t x_stride,
                  int64_t y_stride, void* stream) {
  return launch_unary(GeluTanhOp{}, x, y, rows, cols, x_stride, y_stride, stream);
}

}  // namespace mistralrs::kernels
