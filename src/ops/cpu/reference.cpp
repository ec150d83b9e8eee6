#include "ops/cpu/reference.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "core/quant.h"

namespace mistralrs::ref {

namespace {

// Element offset of (row r, column c): r unravels row-major over the leading dims.
int64_t offset(const TensorView& t, int64_t r, int64_t c) {
  int64_t off = c * t.strides[static_cast<size_t>(t.rank() - 1)];
  for (int d = t.rank() - 2; d >= 0; --d) {
    off += (r % t.dim(d)) * t.strides[static_cast<size_t>(d)];
    r /= t.dim(d);
  }
  return off;
}

int64_t n_rows(const TensorView& t) {
  int64_t n = 1;
  for (int d = 0; d + 1 < t.rank(); ++d) n *= t.dim(d);
  return n;
}

double get(const TensorView& t, int64_t r, int64_t c) { return t.as<float>()[offset(t, r, c)]; }
void set(const TensorView& t, int64_t r, int64_t c, double v) {
  t.as<float>()[offset(t, r, c)] = static_cast<float>(v);
}

// Element (a, b, c) of a rank-3 f32 view.
float& at3(const TensorView& t, int64_t a, int64_t b, int64_t c) {
  return t.as<float>()[a * t.strides[0] + b * t.strides[1] + c * t.strides[2]];
}

// Applies row_fn(in_row, out_row) to every row: the whole input row is read first.
template <class RowFn>
void map_rows(const TensorView& x, const TensorView& y, RowFn row_fn) {
  const int64_t n = x.dim(-1);
  std::vector<double> in(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  for (int64_t r = 0; r < n_rows(x); ++r) {
    for (int64_t c = 0; c < n; ++c) in[static_cast<size_t>(c)] = get(x, r, c);
    row_fn(in, out);
    for (int64_t c = 0; c < n; ++c) set(y, r, c, out[static_cast<size_t>(c)]);
  }
}

template <class Fn>
void map_elements(const TensorView& x, const TensorView& y, Fn fn) {
  map_rows(x, y, [&](const std::vector<double>& in, std::vector<double>& out) {
    for (size_t i = 0; i < in.size(); ++i) out[i] = fn(in[i]);
  });
}

template <class Fn>
void zip_elements(const TensorView& a, const TensorView& b, const TensorView& y, Fn fn) {
  const bool broadcast = b.rank() == 1;  // b: [n] reused for every row (or a is 1-D too)
  const int64_t n = a.dim(-1);
  for (int64_t r = 0; r < n_rows(a); ++r) {
    std::vector<double> out(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c)
      out[static_cast<size_t>(c)] = fn(get(a, r, c), get(b, broadcast ? 0 : r, c));
    for (int64_t c = 0; c < n; ++c) set(y, r, c, out[static_cast<size_t>(c)]);
  }
}

}  // namespace

// y = x / sqrt(mean(x^2) + eps) * w.
Status rms_norm(const TensorView& x, const TensorView& weight, float eps, const TensorView& y) {
  map_rows(x, y, [&](const std::vector<double>& in, std::vector<double>& out) {
    double sum_sq = 0;
    for (double v : in) sum_sq += v * v;
    const double rms = std::sqrt(sum_sq / static_cast<double>(in.size()) + eps);
    for (size_t i = 0; i < in.size(); ++i) out[i] = in[i] / rms * weight.as<float>()[i];
  });
  return Status::ok();
}

// y = (x - mean) / sqrt(var + eps) * w + b, var = mean((x - mean)^2).
Status layer_norm(const TensorView& x, const TensorView& weight, const TensorView& bias, float eps,
                  const TensorView& y) {
  map_rows(x, y, [&](const std::vector<double>& in, std::vector<double>& out) {
    const double n = static_cast<double>(in.size());
    double mean = 0, var = 0;
    for (double v : in) mean += v;
    mean /= n;
    for (double v : in) var += (v - mean) * (v - mean);
    var /= n;
    for (size_t i = 0; i < in.size(); ++i) {
      out[i] = (in[i] - mean) / std::sqrt(var + eps) * weight.as<float>()[i];
      if (bias.data) out[i] += bias.as<float>()[i];
    }
  });
  return Status::ok();
}

// For token t, head h and pair i with indices (a, b): angle = (offset + t) * inv_freq[i],
// y[a] = x[a] cos - x[b] sin, y[b] = x[a] sin + x[b] cos; dims past rotary_dim copied.
Status rope(const TensorView& x, const RopeParams& params, const TensorView& y) {
  const int64_t head_dim = x.dim(2);
  const int64_t rot = params.rotary_dim ? params.rotary_dim : head_dim;
  const int64_t half = rot / 2;
  std::vector<double> out(static_cast<size_t>(head_dim));
  for (int64_t t = 0; t < x.dim(0); ++t) {
    for (int64_t h = 0; h < x.dim(1); ++h) {
      for (int64_t c = 0; c < head_dim; ++c) out[static_cast<size_t>(c)] = at3(x, t, h, c);
      for (int64_t i = 0; i < half; ++i) {
        const double inv_freq = params.inv_freq ? params.inv_freq[i]
                                                : 1.0 / std::pow(static_cast<double>(params.theta),
                                                                 static_cast<double>(2 * i) / rot);
        const double angle = static_cast<double>(params.position_offset + t) * inv_freq;
        const bool neox = params.layout == RopeLayout::kNeox;
        const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
        const double xa = at3(x, t, h, a), xb = at3(x, t, h, b);
        out[static_cast<size_t>(a)] = xa * std::cos(angle) - xb * std::sin(angle);
        out[static_cast<size_t>(b)] = xa * std::sin(angle) + xb * std::cos(angle);
      }
      for (int64_t c = 0; c < head_dim; ++c)
        at3(y, t, h, c) = static_cast<float>(out[static_cast<size_t>(c)]);
    }
  }
  return Status::ok();
}

Status softmax(const TensorView& x, const TensorView& y) {
  map_rows(x, y, [](const std::vector<double>& in, std::vector<double>& out) {
    double m = -INFINITY, sum = 0;
    for (double v : in) m = std::fmax(m, v);
    for (size_t i = 0; i < in.size(); ++i) sum += out[i] = std::exp(in[i] - m);
    for (double& v : out) v /= sum;
  });
  return Status::ok();
}

Status silu(const TensorView& x, const TensorView& y) {
  map_elements(x, y, [](double v) { return v / (1.0 + std::exp(-v)); });
  return Status::ok();
}

Status silu_mul(const TensorView& gate, const TensorView& up, const TensorView& y) {
  zip_elements(gate, up, y, [](double g, double u) { return g / (1.0 + std::exp(-g)) * u; });
  return Status::ok();
}

Status gelu(const TensorView& x, GeluKind kind, const TensorView& y) {
  if (kind == GeluKind::kErf) {
    map_elements(x, y, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
  } else {
    const double k = std::sqrt(2.0 / std::numbers::pi);
    map_elements(x, y, [&](double v) { return 0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))); });
  }
  return Status::ok();
}

Status add(const TensorView& a, const TensorView& b, const TensorView& y) {
  zip_elements(a, b, y, [](double u, double v) { return u + v; });
  return Status::ok();
}

Status mul(const TensorView& a, const TensorView& b, const TensorView& y) {
  zip_elements(a, b, y, [](double u, double v) { return u * v; });
  return Status::ok();
}

// y[t, :] = table[ids[t], :] converted to f32, one element (or one block row) at a time.
Status embedding(const TensorView& table, const TensorView& ids, const TensorView& y) {
  const int64_t vocab = table.dim(0), dim = table.dim(1);
  std::vector<float> row(static_cast<size_t>(dim));
  for (int64_t t = 0; t < ids.dim(0); ++t) {
    const int32_t id = ids.as<int32_t>()[t * ids.strides[0]];
    if (id < 0 || id >= vocab)
      return invalid_argument("embedding: id " + std::to_string(id) + " outside [0, " +
                              std::to_string(vocab) + ")");
    const char* src = static_cast<const char*>(table.data) + table.byte_offset(id * table.strides[0]);
    for (int64_t c = 0; c < dim; ++c) {
      if (table.dtype == DType::kF32) row[static_cast<size_t>(c)] = reinterpret_cast<const float*>(src)[c];
      if (table.dtype == DType::kF16) row[static_cast<size_t>(c)] = fp16_to_fp32(reinterpret_cast<const uint16_t*>(src)[c]);
      if (table.dtype == DType::kBF16) row[static_cast<size_t>(c)] = bf16_to_fp32(reinterpret_cast<const uint16_t*>(src)[c]);
    }
    if (is_block_type(table.dtype) && !dequantize_row(table.dtype, src, row.data(), dim))
      return unsupported("embedding: cannot dequantize " + std::string(dtype_name(table.dtype)));
    for (int64_t c = 0; c < dim; ++c) set(y, t, c, row[static_cast<size_t>(c)]);
  }
  return Status::ok();
}

// Query i of head h at position p = q_position + i sees key j iff j < n_kv, j <= p and
// (window == 0 or p - j < window); it reads kv head h / (n_heads / n_kv_heads).
// out = sum_j softmax_j(scale * q.k_j) v_j; no visible key -> zeros.
Status attention(const TensorView& q, const TensorView& k, const TensorView& v,
                 const AttentionParams& params, const TensorView& out) {
  const int64_t n_q = q.dim(0), n_heads = q.dim(1), head_dim = q.dim(2);
  const int64_t n_kv = k.dim(0), n_kv_heads = k.dim(1);
  const double scale = params.scale != 0.0f ? params.scale : 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (int64_t i = 0; i < n_q; ++i) {
    const int64_t p = params.q_position + i;
    for (int64_t h = 0; h < n_heads; ++h) {
      const int64_t kvh = h / (n_heads / n_kv_heads);
      std::vector<double> weight(static_cast<size_t>(n_kv), 0.0);
      double max_score = -INFINITY;
      std::vector<double> score(static_cast<size_t>(n_kv), -INFINITY);
      for (int64_t j = 0; j < n_kv; ++j) {
        const bool visible = j <= p && (params.sliding_window == 0 || p - j < params.sliding_window);
        if (!visible) continue;
        double s = 0;
        for (int64_t c = 0; c < head_dim; ++c) s += double(at3(q, i, h, c)) * at3(k, j, kvh, c);
        score[static_cast<size_t>(j)] = s * scale;
        max_score = std::fmax(max_score, s * scale);
      }
      double sum = 0;
      for (int64_t j = 0; j < n_kv; ++j)
        if (score[static_cast<size_t>(j)] != -INFINITY)
          sum += weight[static_cast<size_t>(j)] = std::exp(score[static_cast<size_t>(j)] - max_score);
      for (int64_t c = 0; c < head_dim; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < n_kv; ++j)
          if (weight[static_cast<size_t>(j)] != 0.0) acc += weight[static_cast<size_t>(j)] * at3(v, j, kvh, c);
        at3(out, i, h, c) = static_cast<float>(sum > 0 ? acc / sum : 0.0);
      }
    }
  }
  return Status::ok();
}

namespace {

// A binary floating-point format: stored mantissa bits and exponent bits (IEEE layout).
struct Format {
  int mant, exp;
  int bias() const { return (1 << (exp - 1)) - 1; }
  uint32_t exp_mask() const { return (1u << exp) - 1; }
};
Format format_of(DType t) {
  if (t == DType::kF16) return {10, 5};
  if (t == DType::kBF16) return {7, 8};
  return {23, 8};
}

bool is_nan_bits(uint32_t bits, Format f) {
  return ((bits >> f.mant) & f.exp_mask()) == f.exp_mask() && (bits & ((1u << f.mant) - 1)) != 0;
}

// Value of a non-NaN bit pattern: m * 2^(e - bias - mant), with the implicit one for e > 0.
double decode(uint32_t bits, Format f) {
  const bool neg = (bits >> (f.mant + f.exp)) & 1u;
  const uint32_t e = (bits >> f.mant) & f.exp_mask();
  const uint32_t m = bits & ((1u << f.mant) - 1);
  double mag;
  if (e == f.exp_mask()) mag = INFINITY;
  else if (e == 0) mag = std::ldexp(static_cast<double>(m), 1 - f.bias() - f.mant);
  else mag = std::ldexp(static_cast<double>(m + (1u << f.mant)), static_cast<int>(e) - f.bias() - f.mant);
  return neg ? -mag : mag;
}

// Bits of v (not NaN) rounded to nearest even in format f: the quantum at v's exponent
// (clamped to the subnormal range) divides v exactly, nearbyint rounds ties to even, and a
// result at 2^(emax + 1) or beyond is infinity.
uint32_t encode(double v, Format f) {
  const uint32_t sign = std::signbit(v) ? 1u << (f.mant + f.exp) : 0u;
  const double a = std::fabs(v);
  const int emin = 1 - f.bias(), emax = f.bias();
  if (a == 0) return sign;
  if (std::isinf(a)) return sign | (f.exp_mask() << f.mant);
  const int e = std::max(std::ilogb(a), emin);
  const double r = std::nearbyint(std::ldexp(a, f.mant - e)) * std::ldexp(1.0, e - f.mant);
  if (r >= std::ldexp(1.0, emax + 1)) return sign | (f.exp_mask() << f.mant);
  if (r < std::ldexp(1.0, emin))  // subnormal (or zero): exponent field 0
    return sign | static_cast<uint32_t>(std::ldexp(r, f.mant - emin));
  const int er = std::ilogb(r);
  const uint32_t m = static_cast<uint32_t>(std::ldexp(r, f.mant - er)) - (1u << f.mant);
  return sign | (static_cast<uint32_t>(er + f.bias()) << f.mant) | m;
}

uint32_t read_bits(const TensorView& t, int64_t r, int64_t c) {
  const char* p = static_cast<const char*>(t.data) + t.byte_offset(offset(t, r, c));
  uint32_t bits = 0;
  if (t.dtype == DType::kF32) std::memcpy(&bits, p, 4);
  else { uint16_t h; std::memcpy(&h, p, 2); bits = h; }
  return bits;
}

void write_bits(const TensorView& t, int64_t r, int64_t c, uint32_t bits) {
  char* p = static_cast<char*>(t.data) + t.byte_offset(offset(t, r, c));
  if (t.dtype == DType::kF32) std::memcpy(p, &bits, 4);
  else { const uint16_t h = static_cast<uint16_t>(bits); std::memcpy(p, &h, 2); }
}

// NaN policy: up to f32 keeps sign and payload; down to f16 gives 0x7e00 | sign, down to
// bf16 keeps the top 16 bits and sets the quiet bit.
uint32_t nan_bits(uint32_t bits, DType from, DType to) {
  uint32_t f32 = bits;
  if (from == DType::kF16) f32 = ((bits & 0x8000u) << 16) | 0x7f800000u | ((bits & 0x3ffu) << 13);
  if (from == DType::kBF16) f32 = bits << 16;
  if (to == DType::kF16) return ((f32 >> 16) & 0x8000u) | 0x7e00u;
  if (to == DType::kBF16) return (f32 >> 16) | 0x40u;
  return f32;
}

}  // namespace

Status cast(const TensorView& x, const TensorView& y) {
  const Format fx = format_of(x.dtype), fy = format_of(y.dtype);
  for (int64_t r = 0; r < n_rows(x); ++r) {
    for (int64_t c = 0; c < x.dim(-1); ++c) {
      const uint32_t bits = read_bits(x, r, c);
      uint32_t out;
      if (x.dtype == y.dtype) out = bits;
      else if (is_nan_bits(bits, fx)) out = nan_bits(bits, x.dtype, y.dtype);
      else out = encode(decode(bits, fx), fy);
      write_bits(y, r, c, out);
    }
  }
  return Status::ok();
}

}  // namespace mistralrs::ref
