// CPU matmul entry: picks the instruction set and the float or integer path, quantizes the
// activations once per call for the integer path, and splits columns over the pool.
#include <algorithm>
#include <memory>
#include <new>
#include <string>

#include "core/cpu_features.h"
#include "ops/cpu/matmul_cpu.h"
#include "ops/cpu/matmul_kernels.h"

namespace mistralrs::cpu {

namespace {

// Multiply-adds per parallel_for chunk: below ~128K (tens of microseconds) waking a worker
// costs more than it saves.
constexpr int64_t kMinMacsPerChunk = int64_t{1} << 17;
constexpr int64_t kMinQuantizeElemsPerChunk = int64_t{1} << 16;

bool uses_int8(MatmulIsa isa, DType w_type, bool dequantize_weights) {
  return is_block_type(w_type) && !dequantize_weights && isa != MatmulIsa::kScalar;
}

const FloatKernels* float_kernels(MatmulIsa isa) {
  switch (isa) {
    case MatmulIsa::kAvx512: return float_kernels_avx512();
    case MatmulIsa::kAvx2: return float_kernels_avx2();
    default: return &float_kernels_scalar();
  }
}

const QuantKernels* quant_kernels(MatmulIsa isa) {
  return isa == MatmulIsa::kAvx512 ? quant_kernels_avx512() : quant_kernels_avx2();
}

// Runs fn(n0, n1) over column ranges that start on kTileN boundaries.
template <class Fn>
void for_column_chunks(ThreadPool* pool, const MatmulArgs& a, const Fn& fn) {
  const int64_t tiles = (a.n + kTileN - 1) / kTileN;
  const int64_t macs_per_tile = std::max<int64_t>(1, a.m * a.k * kTileN);
  const int64_t min_tiles = std::max<int64_t>(1, kMinMacsPerChunk / macs_per_tile);
  parallel_for(pool, tiles, [&](int64_t t0, int64_t t1) {
    fn(t0 * kTileN, std::min(a.n, t1 * kTileN));
  }, min_tiles);
}

// Activations for the integer path, owned for the duration of one call.
struct QuantizedBuffers {
  std::unique_ptr<int8_t[]> qs;
  std::unique_ptr<float[]> d;
  std::unique_ptr<int16_t[]> sums;
};

Status quantize_activations(ThreadPool* pool, const QuantKernels& kern, const MatmulArgs& a,
                            QuantizedBuffers* buf, QuantizedRows* q) {
  quantized_layout(a.w_type, &q->block, &q->sum_group);
  q->k = a.k;
  const size_t n = static_cast<size_t>(a.m * a.k);
  buf->qs.reset(new (std::nothrow) int8_t[n]);
  buf->d.reset(new (std::nothrow) float[n / static_cast<size_t>(q->block)]);
  buf->sums.reset(new (std::nothrow) int16_t[n / static_cast<size_t>(q->sum_group)]);
  if (!buf->qs || !buf->d || !buf->sums)
    return out_of_memory("matmul: cannot allocate " + std::to_string(n) + " quantized activations");
  q->qs = buf->qs.get(), q->d = buf->d.get(), q->sums = buf->sums.get();
  int8_t* qs = buf->qs.get();
  float* d = buf->d.get();
  int16_t* sums = buf->sums.get();
  parallel_for(pool, a.m, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      kern.quantize_row(a.x + r * a.ldx, a.k, a.w_type, qs + r * a.k, d + r * (a.k / q->block),
                        sums + r * (a.k / q->sum_group));
  }, std::max<int64_t>(1, kMinQuantizeElemsPerChunk / std::max<int64_t>(a.k, 1)));
  return Status::ok();
}

}  // namespace

bool matmul_isa_supported(MatmulIsa isa, DType w_type, bool dequantize_weights) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case MatmulIsa::kAuto:
    case MatmulIsa::kScalar: return true;
    case MatmulIsa::kAvx2: return f.avx2 && float_kernels_avx2() && quant_kernels_avx2();
    case MatmulIsa::kAvx512:
      if (!f.avx512 || !float_kernels_avx512()) return false;
      return !uses_int8(isa, w_type, dequantize_weights) || (f.avx512_vnni && quant_kernels_avx512());
  }
  return false;
}

MatmulIsa matmul_best_isa(DType w_type, bool dequantize_weights) {
  for (MatmulIsa isa : {MatmulIsa::kAvx512, MatmulIsa::kAvx2})
    if (matmul_isa_supported(isa, w_type, dequantize_weights)) return isa;
  return MatmulIsa::kScalar;
}

const char* matmul_isa_name(MatmulIsa isa) {
  switch (isa) {
    case MatmulIsa::kAuto: return "auto";
    case MatmulIsa::kScalar: return "scalar";
    case MatmulIsa::kAvx2: return "avx2";
    case MatmulIsa::kAvx512: return "avx512";
  }
  return "?";
}

Status matmul(ThreadPool* pool, const MatmulArgs& a, const MatmulOptions& opt) {
  MatmulIsa isa = opt.isa;
  if (isa == MatmulIsa::kAuto) isa = matmul_best_isa(a.w_type, opt.dequantize_weights);
  if (!matmul_isa_supported(isa, a.w_type, opt.dequantize_weights))
    return unsupported(std::string("matmul: the ") + matmul_isa_name(isa) + " path for " +
                       std::string(dtype_name(a.w_type)) + " weights needs CPU features this machine lacks");
  if (a.m == 0 || a.n == 0) return Status::ok();
  if (a.k == 0) {
    for (int64_t r = 0; r < a.m; ++r) std::fill_n(a.y + r * a.ldy, a.n, 0.0f);
    return Status::ok();
  }
  if (!uses_int8(isa, a.w_type, opt.dequantize_weights)) {
    const FloatKernels& kern = *float_kernels(isa);
    for_column_chunks(pool, a, [&](int64_t n0, int64_t n1) { matmul_float_range(kern, a, n0, n1); });
    return Status::ok();
  }
  const QuantKernels& kern = *quant_kernels(isa);
  QuantizedBuffers buf;
  QuantizedRows q;
  MISTRALRS_RETURN_IF_ERROR(quantize_activations(pool, kern, a, &buf, &q));
  for_column_chunks(pool, a, [&](int64_t n0, int64_t n1) { matmul_quant_range(kern, a, q, n0, n1); });
  return Status::ok();
}

}  // namespace mistralrs::cpu
