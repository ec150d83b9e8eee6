// The pure math of split-KV decode attention, shared by the kernels (attention_decode.cu)
// and the CPU tests (tests/test_attention_decode_math.cpp), which check it against a plain
// double softmax. No CUDA types: g++ compiles this header as ordinary inline C++.
//
// Scores are kept in log2 units: the kernel folds scale * log2(e) into q, so a softmax
// weight is exp2(s - m). -inf marks a masked (invisible) key; every function here is
// written so that -inf never produces a NaN (exp2(-inf - -inf) would).
#pragma once
#include <cmath>
#include <cstdint>

#include "attention.h"
#include "host_device.cuh"

namespace mistralrs::kernels::decode_math {

constexpr float kLog2e = 1.4426950408889634f;
// Split lengths are a multiple of this many keys and at least kMinSplitLen: a CTA's fixed
// cost (loading q, merging warps, writing D floats per row) stays small beside its reads.
constexpr int64_t kSplitAlign = 16;
constexpr int64_t kMinSplitLen = 128;
// Bounds the partial buffer and the combine kernel's shared weights.
constexpr int64_t kMaxSplits = 1024;

// Half-open key interval [begin, end); empty when begin >= end.
struct KeyRange {
  int64_t begin = 0;
  int64_t end = 0;
};

MISTRALRS_HD inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
MISTRALRS_HD inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
MISTRALRS_HD inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Keys a query at position p sees: j < n_kv, j <= p and, with a window, p - j < window.
// A negative p (a query before the cache start, possible with a run-time key count) sees none.
MISTRALRS_HD inline KeyRange visible_keys(int64_t p, int64_t n_kv, int64_t window) {
  KeyRange r;
  r.begin = window > 0 ? max64(0, p - window + 1) : 0;
  r.end = max64(r.begin, min64(p + 1, n_kv));
  return r;
}

// The union of visible_keys over positions p_first .. p_first + n_q - 1. Both ends of
// visible_keys grow with p and consecutive non-empty ranges touch, so the union is one
// interval: from the first row's begin (row p >= 0 sees nothing only when its window starts
// past the cache, and then no later row sees anything) to min(p_last + 1, n_kv). Exact
// (tested against a brute-force union).
MISTRALRS_HD inline KeyRange union_keys(int64_t p_first, int64_t n_q, int64_t n_kv,
                                        int64_t window) {
  const int64_t p_lo = max64(p_first, 0), p_hi = p_first + n_q - 1;
  if (n_q <= 0 || p_hi < p_lo) return KeyRange{};
  KeyRange r;
  r.begin = visible_keys(p_lo, n_kv, window).begin;
  r.end = min64(p_hi + 1, n_kv);  // not visible_keys(p_hi).end: that row may see nothing
  if (r.end <= r.begin) return KeyRange{};
  return r;
}

// Split s of `all` in pieces of split_len keys (the last ones may be short or empty).
MISTRALRS_HD inline KeyRange split_keys(KeyRange all, int64_t split_len, int64_t s) {
  KeyRange r;
  r.begin = min64(all.begin + s * split_len, all.end);
  r.end = min64(r.begin + split_len, all.end);
  return r;
}

// Most keys any launch can visit, known on the host: the exact union when the key count is
// known, else (count read on the device, n_kv an upper bound) n_kv, or with a window at
// most window + n_q - 1 keys.
inline int64_t max_keys_bound(int64_t q_position, int64_t n_q, int64_t n_kv, int64_t window,
                              bool n_kv_on_device) {
  if (!n_kv_on_device) {
    const KeyRange r = union_keys(q_position, n_q, n_kv, window);
    return r.end - r.begin;
  }
  return window > 0 ? min64(n_kv, window + n_q - 1) : n_kv;
}

// Keys per split so that ctas_per_split * n_splits CTAs give about target_ctas (a few
// waves of the device), within [kMinSplitLen, ...], a multiple of kSplitAlign, and with at
// most kMaxSplits splits.
inline int64_t choose_split_len(int64_t max_keys, int64_t ctas_per_split, int64_t target_ctas) {
  if (max_keys <= 0) return kMinSplitLen;
  const int64_t want_splits = max64(1, ceil_div(max64(target_ctas, 1), max64(ctas_per_split, 1)));
  int64_t len = ceil_div(max_keys, want_splits);
  len = max64(len, ceil_div(max_keys, kMaxSplits));
  len = ceil_div(len, kSplitAlign) * kSplitAlign;
  return max64(len, kMinSplitLen);
}

inline int64_t num_splits(int64_t max_keys, int64_t split_len) {
  return max64(1, ceil_div(max_keys, split_len));
}

// exp2(s - m) for m >= s, 0 for a masked s (including s = m = -inf).
MISTRALRS_HD inline float exp2_from(float s, float m) {
  return s == -INFINITY ? 0.0f : exp2f(s - m);
}

// Two softmax states over disjoint key sets: (max, sum of exp2(s - max)). Their union has
// max m and sum l; the accumulators combine as acc = wa * acc_a + wb * acc_b.
struct Merge {
  float m, l, wa, wb;
};
MISTRALRS_HD inline Merge merge(float ma, float la, float mb, float lb) {
  Merge r;
  r.m = ma > mb ? ma : mb;
  r.wa = exp2_from(ma, r.m);
  r.wb = exp2_from(mb, r.m);
  r.l = la * r.wa + lb * r.wb;
  return r;
}

// 1 / l, or 0 for a row that saw no key (its accumulator is 0, so its output is 0).
MISTRALRS_HD inline float inv_or_zero(float l) { return l > 0.0f ? 1.0f / l : 0.0f; }

// Weight of split s in the final output: exp2(m_s - m_max) / l_total.
MISTRALRS_HD inline float combine_weight(float m_s, float m_max, float inv_l_total) {
  return exp2_from(m_s, m_max) * inv_l_total;
}

// Element offset of key (or value) j of kv head h (the rule in attention.h's KvLayout).
// 32-bit division when the numbers allow: a 64-bit divide costs several times more and runs
// once per key per lane.
MISTRALRS_HD inline int64_t kv_offset(const KvLayout& kv, int64_t j, int64_t h) {
  if (kv.block_table == nullptr) return j * kv.row_stride + h * kv.head_stride;
  int64_t block, row;
  if (j <= 0x7fffffff && kv.block_size <= 0x7fffffff) {
    const uint32_t uj = static_cast<uint32_t>(j), ub = static_cast<uint32_t>(kv.block_size);
    block = uj / ub;
    row = uj - static_cast<uint32_t>(block) * ub;
  } else {
    block = j / kv.block_size;
    row = j % kv.block_size;
  }
  return static_cast<int64_t>(kv.block_table[block]) * kv.block_stride + row * kv.row_stride +
         h * kv.head_stride;
}

// ---- lane layout of decode_kernel (replayed on the CPU by tests/test_attention_decode_lanes.cpp)
// A key row of D elements is read by D / 8 consecutive lanes, lane c of the group holding
// elements 8c .. 8c + 7 (one 16-byte load), so a warp step covers 32 / (D / 8) keys.
MISTRALRS_HD constexpr int lanes_per_key(int d) { return d / 8; }
MISTRALRS_HD constexpr int keys_per_warp(int d) { return 32 / lanes_per_key(d); }
// Keys one CTA step covers: every warp loads `unroll` warp steps.
MISTRALRS_HD constexpr int keys_per_iter(int d, int warps, int unroll) {
  return warps * unroll * keys_per_warp(d);
}

// Lane `lane` reads key kg of a warp step, elements chunk_col(c) .. chunk_col(c) + 7.
struct LaneSlot {
  int kg, c;
};
MISTRALRS_HD inline LaneSlot lane_slot(int lane, int d) {
  LaneSlot s;
  s.kg = lane / lanes_per_key(d);
  s.c = lane % lanes_per_key(d);
  return s;
}
MISTRALRS_HD inline int chunk_col(int c) { return c * 8; }

// Key of unrolled step u of warp `warp` in the CTA step starting at key `base`.
MISTRALRS_HD inline int64_t lane_key(int64_t base, int warp, int u, int unroll, int d, int kg) {
  return base + (warp * unroll + u) * keys_per_warp(d) + kg;
}

// q in shared memory as float4s [rows][2][D / 8]: row r, element 8c + e lies in float4
// q_vec_index(r, e / 4, c) at component e % 4, so the lanes of a key group read consecutive
// float4s (no bank conflicts). q_flat_index is the same place counted in floats.
MISTRALRS_HD inline int q_vec_index(int r, int half, int c, int d) {
  return (r * 2 + half) * (d / 8) + c;
}
MISTRALRS_HD inline int q_flat_index(int r, int col, int d) {
  return ((r * 2 + (col % 8) / 4) * (d / 8) + col / 8) * 4 + col % 4;
}

// Packed row `row` of kv head kvh (the n_q * group rows interleave the group's query heads):
// query row i, query head h.
struct DecodeRow {
  int64_t i, h;
};
MISTRALRS_HD inline DecodeRow decode_row(int64_t row, int64_t group, int64_t kvh) {
  DecodeRow r;
  r.i = row / group;
  r.h = kvh * group + row % group;
  return r;
}

// Partial (m, l) slot of (kv head, packed row, split); its acc is D floats at slot * D.
MISTRALRS_HD inline int64_t partial_slot(int64_t kvh, int64_t rows_total, int64_t row,
                                         int64_t n_splits, int64_t split) {
  return (kvh * rows_total + row) * n_splits + split;
}

}  // namespace mistralrs::kernels::decode_math
