// Scalar math shared by the attention kernels and tested on the CPU
// (tests/test_attention_math.cpp): which keys a query sees, which key tiles a block of
// queries must visit and which of them need a per-element mask, the online-softmax update
// and the merge of two partial softmax states, the address of a (paged) K/V row, and the
// packing of grouped query heads into the rows of one tile. Compiles with nvcc
// (__host__ __device__) and with a plain C++ compiler.
//
// Scores are kept in log2 units: s = (q . k) * scale * log2(e), so exp(x) becomes exp2f(s),
// one MUFU instruction on the device.
#pragma once
#include <cmath>
#include <cstdint>

#include "host_device.cuh"

namespace mistralrs::kernels::attn {

constexpr float kLog2e = 1.4426950408889634f;

// Key j is visible to a query at position pos (which may be negative when a run-time key
// count is smaller than the number of queries: such a query sees nothing).
MISTRALRS_HD inline bool key_visible(int64_t j, int64_t pos, int64_t n_kv, int64_t window) {
  return j >= 0 && j < n_kv && j <= pos && (window <= 0 || pos - j < window);
}

// The keys that a block of queries with positions p_lo..p_hi (p_lo <= p_hi) can see:
// [begin, end), empty when end <= begin.
struct KeyRange {
  int64_t begin, end;
};
MISTRALRS_HD inline KeyRange visible_keys(int64_t p_lo, int64_t p_hi, int64_t n_kv, int64_t window) {
  KeyRange r;
  r.begin = window > 0 ? p_lo - window + 1 : 0;
  if (r.begin < 0) r.begin = 0;
  r.end = p_hi + 1 < n_kv ? p_hi + 1 : n_kv;
  return r;
}

// True when every key of [start, start + len) is visible to every position in
// [p_lo, p_hi]: the tile then needs no per-element mask (the common case in long prefill;
// only the diagonal, window-edge and last tiles are masked).
MISTRALRS_HD inline bool tile_fully_visible(int64_t start, int64_t len, int64_t p_lo, int64_t p_hi,
                                     int64_t n_kv, int64_t window) {
  const int64_t last = start + len - 1;
  return start >= 0 && last < n_kv && last <= p_lo && (window <= 0 || p_hi - start < window);
}

// The work of one block of `rows` packed query rows starting at packed row `row0`
// (see packed_row) out of `n_rows`, over key tiles of `tile` keys: positions p_lo..p_hi
// of its valid rows and the key tiles [tile_begin, tile_end) (tile t holds keys
// t*tile .. t*tile + tile - 1). No tiles when the block sees no key.
struct BlockPlan {
  int64_t p_lo, p_hi;
  int64_t tile_begin, tile_end;
};
MISTRALRS_HD inline BlockPlan plan_block(int64_t row0, int64_t rows, int64_t n_rows, int64_t group,
                                  int64_t q_position, int64_t n_kv, int64_t window, int64_t tile) {
  const int64_t last_row = (row0 + rows < n_rows ? row0 + rows : n_rows) - 1;
  BlockPlan plan;
  plan.p_lo = q_position + row0 / group;
  plan.p_hi = q_position + last_row / group;
  const KeyRange keys = visible_keys(plan.p_lo, plan.p_hi, n_kv, window);
  plan.tile_begin = keys.begin / tile;
  plan.tile_end = keys.end > keys.begin ? (keys.end + tile - 1) / tile : plan.tile_begin;
  return plan;
}

// Grouped-query packing: the n_q * group rows handled for one kv head interleave the
// `group` query heads that share it. Packed row r is query row r / group of query head
// kv_head * group + r % group, so a tile of rows covers rows / group consecutive positions.
struct PackedRow {
  int64_t i;  // query row (position q_position + i)
  int64_t h;  // query head
};
MISTRALRS_HD inline PackedRow packed_row(int64_t r, int64_t group, int64_t kv_head) {
  PackedRow p;
  p.i = r / group;
  p.h = kv_head * group + r % group;
  return p;
}

// Element offset of the head_dim values of key (or value) j of kv head h, per the KvLayout
// contract in attention.h. Paged when block_table is non-null. Preconditions (checked by
// the launchers): 0 <= j < 2^31 and 0 < block_size < 2^31, so the division is 32-bit.
MISTRALRS_HD inline int64_t kv_offset(const int32_t* block_table, int64_t block_size,
                               int64_t block_stride, int64_t row_stride, int64_t head_stride,
                               int64_t j, int64_t h) {
  if (block_table == nullptr) return j * row_stride + h * head_stride;
  const uint32_t jj = static_cast<uint32_t>(j), bs = static_cast<uint32_t>(block_size);
  const uint32_t blk = jj / bs;
  return static_cast<int64_t>(block_table[blk]) * block_stride +
         static_cast<int64_t>(jj - blk * bs) * row_stride + h * head_stride;
}

// ---- tensor-core fragments (mma.sync m16n8k16, ldmatrix.x4) ------------------------------
// Which shared-memory row and column (16-bit elements, relative to a 16x16 tile stored
// row-major) a lane hands to ldmatrix.x4: lanes 8i..8i+7 address the 8 rows of matrix i.
// The same pattern serves Q as the A operand (matrices = a0..a3: rows +0/+8 at k +0, then
// rows +0/+8 at k +8) and V as B through .trans (tile rows = keys = k, columns = d: matrices
// = b0, b1 of d tile 0, then b0, b1 of d tile 1).
struct TileRowCol {
  int row, col;
};
MISTRALRS_HD inline TileRowCol ldmatrix_a_addr(int lane) {
  return TileRowCol{(lane % 8) + ((lane / 8) % 2) * 8, (lane / 16) * 8};
}
// K stored [key][d] as B of Q K^T without .trans (tile rows = keys = n, columns = d = k):
// matrices = b0, b1 of key tile 0 (keys +0..7 at d +0, +8), then b0, b1 of key tile 1.
MISTRALRS_HD inline TileRowCol ldmatrix_b_addr(int lane) {
  return TileRowCol{(lane % 8) + (lane / 16) * 8, ((lane / 8) % 2) * 8};
}
// Row and column of accumulator element c (0..3) of a 16x8 f32 C/D fragment held by lane.
MISTRALRS_HD inline TileRowCol acc_elem(int lane, int c) {
  return TileRowCol{lane / 4 + 8 * (c / 2), 2 * (lane % 4) + (c & 1)};
}

// ---- online softmax ----------------------------------------------------------------------
// A row's state after some tiles: m = the largest score seen (log2 units, -inf if none),
// l = sum of exp2(s - m) over them, acc = sum of exp2(s - m) * v. A new tile with largest
// score m_tile moves the state to m_new = max(m, m_tile): the old l and acc are multiplied
// by rescale(m, m_new) and the tile adds weight(s, m_new) per key. A masked score is -inf.
// When every score so far is -inf the reference max is taken as 0 rather than -inf, so
// that no -inf - -inf (NaN) arises: weights and the rescale factor are then exactly 0.

MISTRALRS_HD inline float softmax_ref(float m) { return m == -INFINITY ? 0.0f : m; }

MISTRALRS_HD inline float softmax_rescale(float m_old, float m_new) {
  return exp2f(m_old - softmax_ref(m_new));
}

MISTRALRS_HD inline float softmax_weight(float s, float m_new) { return exp2f(s - softmax_ref(m_new)); }

// The output of a row: acc / l, or 0 for a row that saw no key (l == 0).
MISTRALRS_HD inline float softmax_finish(float acc, float l) { return l > 0.0f ? acc / l : 0.0f; }

// Merging two partial states of one row (split-KV): (m_a, l_a, acc_a) and (m_b, l_b, acc_b)
// combine to m = max(m_a, m_b), l = l_a * w_a + l_b * w_b, acc = acc_a * w_a + acc_b * w_b.
// An empty part (m = -inf, l = 0) gets weight 0.
struct MergeWeights {
  float m, w_a, w_b;
};
MISTRALRS_HD inline MergeWeights softmax_merge(float m_a, float m_b) {
  MergeWeights w;
  w.m = m_a > m_b ? m_a : m_b;
  w.w_a = softmax_rescale(m_a, w.m);
  w.w_b = softmax_rescale(m_b, w.m);
  return w;
}

}  // namespace mistralrs::kernels::attn
