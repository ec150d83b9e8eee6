// DRY repeat lengths (Z-algorithm) and penalties.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "sampling/dry.h"

namespace mistralrs {

void z_array(std::span<const int32_t> s, std::vector<int32_t>& z) {
  const size_t n = s.size();
  z.assign(n, 0);
  if (n == 0) return;
  z[0] = static_cast<int32_t>(n);
  // [l, r): the rightmost window known to match a prefix of s.
  size_t l = 0, r = 0;
  for (size_t i = 1; i < n; ++i) {
    size_t k = 0;
    if (i < r) k = std::min(r - i, static_cast<size_t>(z[i - l]));
    while (i + k < n && s[k] == s[i + k]) ++k;
    z[i] = static_cast<int32_t>(k);
    if (i + k > r) {
      l = i;
      r = i + k;
    }
  }
}

void dry_repeat_lengths(std::span<const int32_t> window, size_t limit, DryScratch& s) {
  const size_t m = window.size();
  s.lengths.assign(m > 0 ? m - 1 : 0, 0);
  if (m < 2 || limit == 0) return;
  // reversed[k] = window[m-1-k]: a suffix of the window ending at j is a prefix of
  // reversed[m-1-j..], so its length is z[m-1-j]. The breaker limit caps it afterwards.
  s.reversed.resize(m);
  for (size_t k = 0; k < m; ++k) s.reversed[k] = window[m - 1 - k];
  z_array(s.reversed, s.z);
  const auto cap = static_cast<int32_t>(std::min(limit, m));
  for (size_t j = 0; j + 1 < m; ++j) s.lengths[j] = std::min(s.z[m - 1 - j], cap);
}

float dry_penalty(const DryParams& p, int32_t n) {
  if (n < p.allowed_length || p.multiplier <= 0.0f) return 0.0f;
  double e = static_cast<double>(n) - static_cast<double>(p.allowed_length);
  const double mult = p.multiplier, base = p.base;
  if (base > 1.0) {
    // Largest e with mult * base^e <= FLT_MAX (and base^e < FLT_MAX when mult < 1): a
    // penalty that stays finite in float, so the penalised logit stays a number.
    const double e_max = std::floor(std::log(static_cast<double>(FLT_MAX) / std::max(mult, 1.0)) / std::log(base));
    e = std::min(e, e_max);
  }
  const double v = mult * std::pow(base, e);
  return static_cast<float>(std::min(v, static_cast<double>(FLT_MAX)));
}

void dry_deltas(std::span<const int32_t> window, const DryBreakerTable& table, const DryParams& p, DryScratch& s,
                std::vector<LogitDelta>& out) {
  out.clear();
  const size_t m = window.size();
  if (m < 2) return;
  const size_t limit = table.tokens_since_breaker(window);
  // limit == 0: the newest token ends a breaker, nothing may repeat across it.
  if (limit < static_cast<size_t>(p.allowed_length)) return;
  dry_repeat_lengths(window, limit, s);
  s.hits.clear();
  for (size_t j = 0; j + 1 < m; ++j) {
    const int32_t n = s.lengths[j];
    if (n < p.allowed_length) continue;
    const int32_t next = window[j + 1];
    if (table.is_breaker(next)) continue;  // breakers are never penalised
    s.hits.emplace_back(next, n);
  }
  // Per candidate the longest repeat: sort by (token, length) and keep each token's last.
  std::sort(s.hits.begin(), s.hits.end());
  for (size_t i = 0; i < s.hits.size(); ++i) {
    if (i + 1 < s.hits.size() && s.hits[i + 1].first == s.hits[i].first) continue;
    out.push_back({s.hits[i].first, -dry_penalty(p, s.hits[i].second)});
  }
}

}  // namespace mistralrs
