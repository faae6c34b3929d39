#include "stats/compare.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace timerbisect::stats {
namespace {

// The rates are integrated on a grid of cell midpoints: fine enough that the
// likelihood of a few thousand runs (width about 1/sqrt(runs)) spans many
// cells, and O(kCells) per test.
constexpr int kCells = 2000;

double Midpoint(int i) {
  return (i + 0.5) / kCells;
}

// Likelihood of `c` at every midpoint, scaled so the largest is 1 (the scale
// cancels between hypotheses: each uses both configurations once).
std::vector<double> Likelihood(Counts c) {
  std::vector<double> log_l(kCells);
  for (int i = 0; i < kCells; ++i) {
    double x = Midpoint(i);
    log_l[static_cast<std::size_t>(i)] = c.failures * std::log(x) + c.passes() * std::log1p(-x);
  }
  double top = *std::max_element(log_l.begin(), log_l.end());
  for (double& l : log_l) l = std::exp(l - top);
  return log_l;
}

// Average over the region rate_hi >= rate_lo + gap (gap in cells) of
// hi(rate_hi) * lo(rate_lo).
double HigherByGap(const std::vector<double>& hi, const std::vector<double>& lo, int gap) {
  // suffix[i] = sum of hi over cells >= i.
  std::vector<double> suffix(kCells + 1, 0.0);
  for (int i = kCells - 1; i >= 0; --i) {
    suffix[static_cast<std::size_t>(i)] =
        suffix[static_cast<std::size_t>(i) + 1] + hi[static_cast<std::size_t>(i)];
  }
  double sum = 0, cells = 0;
  for (int j = 0; j + gap < kCells; ++j) {
    sum += lo[static_cast<std::size_t>(j)] * suffix[static_cast<std::size_t>(j + gap)];
    cells += kCells - j - gap;
  }
  return cells > 0 ? sum / cells : 0;
}

}  // namespace

Comparison CompareRates(Counts a, Counts b, const CompareOptions& options) {
  std::vector<double> la = Likelihood(a), lb = Likelihood(b);
  double same = 0;
  for (int i = 0; i < kCells; ++i) {
    same += la[static_cast<std::size_t>(i)] * lb[static_cast<std::size_t>(i)];
  }
  same /= kCells;
  int gap = static_cast<int>(std::ceil(options.min_difference * kCells - 1e-9));
  double a_higher = HigherByGap(la, lb, gap);
  double b_higher = HigherByGap(lb, la, gap);

  double prior_diff = (1.0 - options.prior_same) / 2.0;
  double w_same = options.prior_same * same;
  double w_a = prior_diff * a_higher, w_b = prior_diff * b_higher;
  double total = w_same + w_a + w_b;
  Comparison out;
  out.p_same = w_same / total;
  out.p_a_higher = w_a / total;
  out.p_b_higher = w_b / total;
  if (out.p_same >= options.confidence) out.verdict = Verdict::kSame;
  if (out.p_a_higher >= options.confidence) out.verdict = Verdict::kAHigher;
  if (out.p_b_higher >= options.confidence) out.verdict = Verdict::kBHigher;
  return out;
}

int RunsToSettle(Counts a, Counts b, const CompareOptions& options, int limit) {
  if (CompareRates(a, b, options).verdict != Verdict::kUndecided) return 0;
  double rate_a = PosteriorMean(a), rate_b = PosteriorMean(b);
  auto settled = [&](int more) {
    double each = more / 2.0;
    Counts a2{a.failures + each * rate_a, a.runs + each};
    Counts b2{b.failures + each * rate_b, b.runs + each};
    return CompareRates(a2, b2, options).verdict != Verdict::kUndecided;
  };
  // Double until settled, then bisect: the evidence grows with the runs.
  int hi = 2;
  while (!settled(hi)) {
    if (hi >= limit) return -1;
    hi = std::min(hi * 2, limit);
  }
  int lo = hi / 2;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    (settled(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace timerbisect::stats
