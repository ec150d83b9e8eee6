#include "ops/op_checks.h"

#include <array>
#include <utility>

namespace mistralrs::op_checks {

namespace {

std::string prefix(const char* op, const char* name) {
  return std::string(op) + ": " + name + " ";
}

// [begin, end) bytes touched by t; begin == end for an empty view. Needs a row_view.
std::pair<const char*, const char*> byte_extent(const TensorView& t) {
  const char* base = static_cast<const char*>(t.data);
  if (t.numel() == 0 || t.rank() == 0) return {base, base};
  int64_t last = 0;  // element offset of the start of the last row
  for (int d = 0; d + 1 < t.rank(); ++d) last += (t.dim(d) - 1) * t.strides[static_cast<size_t>(d)];
  return {base, base + t.byte_offset(last + t.dim(-1))};
}

bool overlaps(const TensorView& a, const TensorView& b) {
  auto [a0, a1] = byte_extent(a);
  auto [b0, b1] = byte_extent(b);
  return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
}

bool same_layout(const TensorView& a, const TensorView& b) {
  if (a.data != b.data || !(a.shape == b.shape)) return false;
  for (int d = 0; d < a.rank(); ++d)
    if (a.dim(d) > 1 && a.strides[static_cast<size_t>(d)] != b.strides[static_cast<size_t>(d)])
      return false;
  return true;
}

}  // namespace

std::string describe_layout(const TensorView& t) {
  std::string s = t.describe() + " strides [";
  for (int d = 0; d < t.rank(); ++d) {
    if (d) s += ", ";
    s += std::to_string(t.strides[static_cast<size_t>(d)]);
  }
  return s + "]";
}

Status dtype_is(const char* op, const char* name, const TensorView& t, DType want) {
  if (t.dtype == want) return Status::ok();
  return invalid_argument(prefix(op, name) + "must be " + std::string(dtype_name(want)) +
                          ", got " + t.describe());
}

Status row_view(const char* op, const char* name, const TensorView& t) {
  if (t.rank() < 1 || t.rank() > kMaxRank)
    return invalid_argument(prefix(op, name) + "must have rank 1.." + std::to_string(kMaxRank) +
                            ", got " + t.describe());
  for (int d = 0; d < t.rank(); ++d) {
    if (t.dim(d) < 0) return invalid_argument(prefix(op, name) + "has a negative dim: " + t.describe());
    if (t.strides[static_cast<size_t>(d)] < 0)
      return invalid_argument(prefix(op, name) + "has a negative stride: " + describe_layout(t));
  }
  if (t.dim(-1) > 1 && t.strides[static_cast<size_t>(t.rank() - 1)] != 1)
    return invalid_argument(prefix(op, name) + "must be contiguous in its last dim: " +
                            describe_layout(t));
  if (t.numel() > 0 && t.data == nullptr)
    return invalid_argument(prefix(op, name) + "has no data: " + t.describe());
  return Status::ok();
}

Status row_view_of_rank(const char* op, const char* name, const TensorView& t, int rank) {
  if (t.rank() != rank)
    return invalid_argument(prefix(op, name) + "must have rank " + std::to_string(rank) +
                            ", got " + t.describe());
  return row_view(op, name, t);
}

Status output_view(const char* op, const char* name, const TensorView& t) {
  MISTRALRS_RETURN_IF_ERROR(row_view(op, name, t));
  // Sort the leading dims by stride; each must step past everything the inner ones cover.
  std::array<std::pair<int64_t, int64_t>, kMaxRank> lead{};  // (stride, size)
  int n = 0;
  for (int d = 0; d + 1 < t.rank(); ++d)
    if (t.dim(d) > 1) lead[static_cast<size_t>(n++)] = {t.strides[static_cast<size_t>(d)], t.dim(d)};
  // Insertion sort of at most 3 entries (std::sort here trips GCC 12's -Warray-bounds).
  for (int i = 1; i < n; ++i)
    for (int j = i; j > 0 && lead[static_cast<size_t>(j)] < lead[static_cast<size_t>(j - 1)]; --j)
      std::swap(lead[static_cast<size_t>(j)], lead[static_cast<size_t>(j - 1)]);
  int64_t covered = t.dim(-1);
  for (int i = 0; i < n; ++i) {
    auto [stride, size] = lead[static_cast<size_t>(i)];
    if (stride < covered)
      return invalid_argument(prefix(op, name) + "has rows that overlap in memory: " +
                              describe_layout(t));
    covered = stride * (size - 1) + covered;
  }
  return Status::ok();
}

Status same_shape(const char* op, const char* a_name, const TensorView& a, const char* b_name,
                  const TensorView& b) {
  if (a.shape == b.shape) return Status::ok();
  return invalid_argument(std::string(op) + ": " + a_name + " " + a.describe() + " and " + b_name +
                          " " + b.describe() + " must have the same shape");
}

Status same_device(const char* op, std::initializer_list<const TensorView*> views) {
  const TensorView* first = nullptr;
  for (const TensorView* v : views) {
    if (v->data == nullptr) continue;
    if (!first) first = v;
    else if (!(v->device == first->device))
      return invalid_argument(std::string(op) + ": tensors on different devices: " +
                              first->describe() + " and " + v->describe());
  }
  return Status::ok();
}

Status in_place_or_disjoint(const char* op, const char* y_name, const TensorView& y,
                            const char* x_name, const TensorView& x) {
  if (!overlaps(y, x) || same_layout(y, x)) return Status::ok();
  return invalid_argument(std::string(op) + ": " + y_name + " " + describe_layout(y) +
                          " partially overlaps " + x_name + " " + describe_layout(x) +
                          " (only exact in-place use is allowed)");
}

Status disjoint(const char* op, const char* y_name, const TensorView& y, const char* x_name,
                const TensorView& x) {
  if (!overlaps(y, x)) return Status::ok();
  return invalid_argument(std::string(op) + ": " + y_name + " " + describe_layout(y) +
                          " overlaps " + x_name + " " + describe_layout(x) +
                          " (this op cannot run in place)");
}

bool uniform_row_stride(const TensorView& t, int64_t* row_stride) {
  // Walk leading dims from the inside out; a dim of size 1 never breaks uniformity.
  bool known = false;
  int64_t stride = t.dim(-1);  // stride of one row step
  int64_t inner_rows = 1;
  for (int d = t.rank() - 2; d >= 0; --d) {
    const int64_t size = t.dim(d), s = t.strides[static_cast<size_t>(d)];
    if (size == 1) continue;
    if (!known) stride = s, known = true;
    else if (s != stride * inner_rows) return false;
    inner_rows *= size;
  }
  *row_stride = stride;
  return true;
}

Status no_cuda_path(const char* op, const TensorView& t) {
  return unsupported(std::string(op) + ": no CUDA implementation; got " + t.describe() +
                     " (run it on CPU tensors)");
}

Status cuda_not_built(const char* op, const TensorView& t) {
  return unsupported(std::string(op) + ": this build of libmistralrs has no CUDA support; got " +
                     t.describe());
}

Status cuda_rows(const char* op, std::initializer_list<const TensorView*> views) {
  int64_t stride = 0;
  for (const TensorView* v : views)
    if (!uniform_row_stride(*v, &stride))
      return unsupported(std::string(op) + ": on CUDA the leading dims must collapse to one row "
                         "stride; got " + describe_layout(*v));
  return Status::ok();
}

Status unary_rows(const char* op, const TensorView& x, const TensorView& y) {
  MISTRALRS_RETURN_IF_ERROR(dtype_is(op, "x", x, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(dtype_is(op, "y", y, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(row_view(op, "x", x));
  MISTRALRS_RETURN_IF_ERROR(output_view(op, "y", y));
  MISTRALRS_RETURN_IF_ERROR(same_shape(op, "x", x, "y", y));
  MISTRALRS_RETURN_IF_ERROR(in_place_or_disjoint(op, "y", y, "x", x));
  return same_device(op, {&x, &y});
}

Status binary_rows(const char* op, const TensorView& a, const TensorView& b, const TensorView& y) {
  MISTRALRS_RETURN_IF_ERROR(unary_rows(op, a, y));
  MISTRALRS_RETURN_IF_ERROR(dtype_is(op, "b", b, DType::kF32));
  MISTRALRS_RETURN_IF_ERROR(row_view(op, "b", b));
  const bool broadcast = b.rank() == 1 && b.dim(0) == a.dim(-1);
  if (!broadcast && !(b.shape == a.shape))
    return invalid_argument(std::string(op) + ": b " + b.describe() + " must have a's shape " +
                            a.shape.to_string() + " or be 1-D [" + std::to_string(a.dim(-1)) +
                            "] (broadcast over rows)");
  MISTRALRS_RETURN_IF_ERROR(in_place_or_disjoint(op, "y", y, "b", b));
  return same_device(op, {&a, &b, &y});
}

}  // namespace mistralrs::op_checks
