// The prefill kernel's tensor-core fragment addressing (kernels/attention_math.cuh) checked
// on the CPU: ldmatrix.x4 and mma.sync m16n8k16 emulated from the PTX ISA fragment tables,
// driven by the header's lane addressing and the kernel's register plumbing.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "attention_math.cuh"

namespace mistralrs {
namespace {

namespace attn = kernels::attn;

// ---- tensor-core fragment layouts ---------------------------------------------------------
// ldmatrix.x4 and mma.sync m16n8k16 emulated from the PTX ISA fragment tables (independent of
// the header), driven by the header's lane addressing and the prefill kernel's register
// plumbing (which ldmatrix register feeds which mma, accumulators reused as the A operand of
// P*V): one warp computes S = Q K^T and O = S V for a 16-row, 32-key, 32-dim tile, checked
// element by element. Integer data keeps every sum exact.
using Reg = std::array<double, 2>;  // one 32-bit register: two 16-bit elements, low half first
using Warp4 = std::array<std::array<Reg, 4>, 32>;     // per lane: ldmatrix.x4 result / A operand
using Acc = std::array<std::array<double, 4>, 32>;    // per lane: c0..c3 of a 16x8 f32 tile
using Mat = std::vector<std::vector<double>>;

// ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16: lane 8i + r addresses row r of matrix i
// (8 consecutive elements from there). Without .trans lane l receives in register i the
// elements (row l/4, cols 2(l%4), 2(l%4)+1) of matrix i; with .trans (rows 2(l%4), 2(l%4)+1,
// col l/4).
Warp4 emulate_ldmatrix_x4(const Mat& smem, const std::array<attn::TileRowCol, 32>& addr, bool trans) {
  Warp4 out{};
  for (int i = 0; i < 4; ++i) {
    for (int l = 0; l < 32; ++l) {
      for (int e = 0; e < 2; ++e) {
        const int r = trans ? 2 * (l % 4) + e : l / 4, c = trans ? l / 4 : 2 * (l % 4) + e;
        const attn::TileRowCol a = addr[static_cast<size_t>(8 * i + r)];
        out[static_cast<size_t>(l)][static_cast<size_t>(i)][static_cast<size_t>(e)] =
            smem[static_cast<size_t>(a.row)][static_cast<size_t>(a.col + c)];
      }
    }
  }
  return out;
}

// mma.sync.aligned.m16n8k16.row.col.f32: with g = l/4, t = l%4, lane l holds
// A: reg0 = (g, 2t..2t+1), reg1 = (g+8, 2t..), reg2 = (g, 2t+8..), reg3 = (g+8, 2t+8..);
// B (k x n): b0 = (k 2t..2t+1, n g), b1 = (k 2t+8.., n g); C/D: c0,c1 = (g, 2t..), c2,c3 = (g+8, 2t..).
void emulate_mma(Acc& c, const Warp4& a, const std::array<std::array<Reg, 2>, 32>& b) {
  double am[16][16], bm[16][8], dm[16][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    const auto& ar = a[static_cast<size_t>(l)];
    const auto& br = b[static_cast<size_t>(l)];
    for (int e = 0; e < 2; ++e) {
      am[g][2 * t + e] = ar[0][static_cast<size_t>(e)];
      am[g + 8][2 * t + e] = ar[1][static_cast<size_t>(e)];
      am[g][2 * t + 8 + e] = ar[2][static_cast<size_t>(e)];
      am[g + 8][2 * t + 8 + e] = ar[3][static_cast<size_t>(e)];
      bm[2 * t + e][g] = br[0][static_cast<size_t>(e)];
      bm[2 * t + 8 + e][g] = br[1][static_cast<size_t>(e)];
    }
  }
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    for (int c2 = 0; c2 < 4; ++c2) dm[g + 8 * (c2 / 2)][2 * t + (c2 & 1)] = c[static_cast<size_t>(l)][static_cast<size_t>(c2)];
  }
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j)
      for (int k = 0; k < 16; ++k) dm[i][j] += am[i][k] * bm[k][j];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    for (int c2 = 0; c2 < 4; ++c2) c[static_cast<size_t>(l)][static_cast<size_t>(c2)] = dm[g + 8 * (c2 / 2)][2 * t + (c2 & 1)];
  }
}

// The lanes' addresses for the 16x16 tile at (row0, col0) of a shared-memory matrix.
std::array<attn::TileRowCol, 32> tile_addr(attn::TileRowCol (*pattern)(int), int row0, int col0) {
  std::array<attn::TileRowCol, 32> out{};
  for (int l = 0; l < 32; ++l) {
    const attn::TileRowCol a = pattern(l);
    out[static_cast<size_t>(l)] = attn::TileRowCol{row0 + a.row, col0 + a.col};
  }
  return out;
}

// b0, b1 of an mma from registers i and i + 1 of an ldmatrix.x4 result.
std::array<std::array<Reg, 2>, 32> b_pair(const Warp4& x, size_t i) {
  std::array<std::array<Reg, 2>, 32> b{};
  for (size_t l = 0; l < 32; ++l) b[l] = {x[l][i], x[l][i + 1]};
  return b;
}

TEST(AttentionMath, FragmentLayoutsComputeQKAndPV) {
  constexpr int kM = 16, kN = 32, kD = 32;
  std::mt19937 rng(17);
  auto random_mat = [&](int rows, int cols) {
    Mat m(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(cols)));
    for (auto& row : m)
      for (double& x : row) x = static_cast<double>(static_cast<int>(rng() % 9) - 4);
    return m;
  };
  const Mat q = random_mat(kM, kD), k = random_mat(kN, kD), v = random_mat(kN, kD);

  // scores(): Q fragments (A), K fragments (B, no .trans), s[nt] = 16 rows x 8 keys.
  std::vector<Acc> s(kN / 8, Acc{});
  for (int kk = 0; kk < kD / 16; ++kk) {
    const Warp4 a = emulate_ldmatrix_x4(q, tile_addr(attn::ldmatrix_a_addr, 0, kk * 16), false);
    for (int n2 = 0; n2 < kN / 16; ++n2) {
      const Warp4 b = emulate_ldmatrix_x4(k, tile_addr(attn::ldmatrix_b_addr, n2 * 16, kk * 16), false);
      emulate_mma(s[static_cast<size_t>(2 * n2)], a, b_pair(b, 0));
      emulate_mma(s[static_cast<size_t>(2 * n2 + 1)], a, b_pair(b, 2));
    }
  }
  Mat p(kM, std::vector<double>(kN, NAN));  // S as the kernel's lanes see it (acc_elem)
  for (int nt = 0; nt < kN / 8; ++nt)
    for (int l = 0; l < 32; ++l)
      for (int c = 0; c < 4; ++c) {
        const attn::TileRowCol e = attn::acc_elem(l, c);
        double want = 0;
        for (int d = 0; d < kD; ++d) want += q[static_cast<size_t>(e.row)][static_cast<size_t>(d)] * k[static_cast<size_t>(nt * 8 + e.col)][static_cast<size_t>(d)];
        const double got = s[static_cast<size_t>(nt)][static_cast<size_t>(l)][static_cast<size_t>(c)];
        ASSERT_EQ(got, want) << "S lane " << l << " tile " << nt << " c " << c;
        p[static_cast<size_t>(e.row)][static_cast<size_t>(nt * 8 + e.col)] = got;
      }

  // accumulate_pv(): score accumulators 2kk, 2kk+1 as the A operand, V through .trans.
  std::vector<Acc> o(kD / 8, Acc{});
  for (int kk = 0; kk < kN / 16; ++kk) {
    Warp4 a{};
    for (size_t l = 0; l < 32; ++l) {
      const auto& lo = s[static_cast<size_t>(2 * kk)][l];
      const auto& hi = s[static_cast<size_t>(2 * kk + 1)][l];
      a[l] = {Reg{lo[0], lo[1]}, Reg{lo[2], lo[3]}, Reg{hi[0], hi[1]}, Reg{hi[2], hi[3]}};
    }
    for (int d2 = 0; d2 < kD / 16; ++d2) {
      const Warp4 b = emulate_ldmatrix_x4(v, tile_addr(attn::ldmatrix_a_addr, kk * 16, d2 * 16), true);
      emulate_mma(o[static_cast<size_t>(2 * d2)], a, b_pair(b, 0));
      emulate_mma(o[static_cast<size_t>(2 * d2 + 1)], a, b_pair(b, 2));
    }
  }
  for (int dt = 0; dt < kD / 8; ++dt)
    for (int l = 0; l < 32; ++l)
      for (int c = 0; c < 4; ++c) {
        const attn::TileRowCol e = attn::acc_elem(l, c);
        double want = 0;
        for (int j = 0; j < kN; ++j) want += p[static_cast<size_t>(e.row)][static_cast<size_t>(j)] * v[static_cast<size_t>(j)][static_cast<size_t>(dt * 8 + e.col)];
        ASSERT_EQ(o[static_cast<size_t>(dt)][static_cast<size_t>(l)][static_cast<size_t>(c)], want)
            << "O lane " << l << " d tile " << dt << " c " << c;
      }

  // The 4 lanes of a quad (lane ^ 1, lane ^ 2: the softmax shuffles) hold one row's
  // accumulator columns; each (row, col) of a 16x8 tile belongs to exactly one lane and c.
  std::vector<int> owner(16 * 8, 0);
  for (int l = 0; l < 32; ++l)
    for (int c = 0; c < 4; ++c) {
      const attn::TileRowCol e = attn::acc_elem(l, c);
      ++owner[static_cast<size_t>(e.row * 8 + e.col)];
      for (int x = 1; x < 4; ++x) EXPECT_EQ(attn::acc_elem(l ^ x, c).row, e.row) << "lane " << l;
    }
  for (int n : owner) EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace mistralrs
