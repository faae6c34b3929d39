#include "stats/rate.h"

#include <algorithm>
#include <cmath>

namespace timerbisect::stats {
namespace {

// The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8), by the
// modified Lentz method; converges fast for x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double f = d;
  for (int m = 1; m <= 1000; ++m) {
    // The even step d_{2m}, then the odd step d_{2m+1}.
    double even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
    for (double term : {even, -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))}) {
      d = 1.0 + term * d;
      if (std::fabs(d) < kTiny) d = kTiny;
      c = 1.0 + term / c;
      if (std::fabs(c) < kTiny) c = kTiny;
      d = 1.0 / d;
      f *= c * d;
    }
    if (std::fabs(c * d - 1.0) < kEpsilon) break;
  }
  return f;
}

// Bisection for the x in [0, 1] where an increasing `cdf` reaches `target`.
template <typename Cdf>
double Invert(Cdf cdf, double target) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 100; ++i) {
    double mid = 0.5 * (lo + hi);
    (cdf(mid) < target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double LogBeta(double a, double b) {
  return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
}

double BetaCdf(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  double front = std::exp(log_front);
  // The fraction converges on one side of the mode; use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(x, a, b) / a;
  return 1.0 - front * BetaContinuedFraction(1.0 - x, b, a) / b;
}

double NormalQuantile(double p) {
  // Phi(z) = erfc(-z / sqrt 2) / 2 is increasing; bisect over a range wide
  // enough for every p a double can tell from 0 or 1.
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double PosteriorMean(Counts c) {
  return (c.failures + 1.0) / (c.runs + 2.0);
}

Interval BetaInterval(Counts c, double confidence) {
  if (c.runs <= 0) return {0, 1};
  double a = c.failures + 1.0, b = c.passes() + 1.0;
  double tail = (1.0 - confidence) / 2.0;
  auto cdf = [&](double x) { return BetaCdf(x, a, b); };
  return {Invert(cdf, tail), Invert(cdf, 1.0 - tail)};
}

Interval WilsonInterval(Counts c, double confidence) {
  if (c.runs <= 0) return {0, 1};
  double n = c.runs;
  double rate = c.failures / n;
  double z = NormalQuantile(1.0 - (1.0 - confidence) / 2.0);
  double z2 = z * z;
  double center = (rate + z2 / (2 * n)) / (1 + z2 / n);
  double half = z / (1 + z2 / n) * std::sqrt(rate * (1 - rate) / n + z2 / (4 * n * n));
  // No failure (or no pass) bounds the rate by exactly 0 (or 1); computed,
  // center - half leaves rounding noise such as 2.8e-17 in the JSON.
  if (c.failures <= 0) return {0, std::min(1.0, center + half)};
  if (c.failures >= c.runs) return {std::max(0.0, center - half), 1};
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

}  // namespace timerbisect::stats
