// One configuration's failure rate, from `failures` of `runs`: the Beta
// posterior under a uniform prior and the Wilson score interval, both at a
// confidence the caller gives (the driver's --confidence).
#pragma once

namespace timerbisect::stats {

// Runs of one configuration. Counts may be fractional: RunsToSettle projects
// expected counts.
struct Counts {
  double failures = 0;
  double runs = 0;
  double passes() const { return runs - failures; }
};

struct Interval {
  double low = 0;
  double high = 1;
};

// Mean of the Beta(failures + 1, passes + 1) posterior: (f + 1) / (n + 2).
// Never 0 or 1, so it is safe in a likelihood.
double PosteriorMean(Counts c);

// Equal-tailed credible interval of that posterior holding `confidence` of
// its mass. [0, 1] for no runs.
Interval BetaInterval(Counts c, double confidence);

// Wilson score interval (Wilson 1927): the usual frequentist interval for a
// binomial rate, good at small counts and at rates near 0 or 1, where the
// normal approximation is not. [0, 1] for no runs.
Interval WilsonInterval(Counts c, double confidence);

// log B(a, b), the log of the beta function. a, b > 0.
double LogBeta(double a, double b);

// The regularized incomplete beta function I_x(a, b): the CDF of Beta(a, b)
// at x. a, b > 0.
double BetaCdf(double x, double a, double b);

// The standard normal quantile: Phi^-1(p), 0 < p < 1.
double NormalQuantile(double p);

}  // namespace timerbisect::stats
