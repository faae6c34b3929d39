#include "search/posterior.h"

#include <algorithm>
#include <cmath>

namespace timerbisect::search {
namespace {

// Prior of q = 0, p = 1 and p = 0.99 (see CellPrior).
constexpr double kNoBackgroundPrior = 0.4;
constexpr double kAlwaysPrior = 0.15;
constexpr double kAlmostAlwaysPrior = 0.05;
// Batches are chosen by enumerating the outcomes of the probes picked so
// far; past this many branches the rest of the batch repeats the picks.
constexpr std::size_t kMaxBranches = 1024;

}  // namespace

const std::vector<Cell>& Cells() {
  static const std::vector<Cell> cells = [] {
    std::vector<double> ps;
    for (int i = 2; i <= 19; ++i) ps.push_back(i * 0.05);
    ps.insert(ps.end(), {0.99, 1.0});
    const std::vector<double> qs = {0,   0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15,
                                    0.2, 0.3,  0.4,  0.5,   0.6,  0.7,   0.8, 0.9};
    std::vector<Cell> out;
    for (double p : ps) {
      for (std::size_t j = 0; j < qs.size(); ++j) {
        if (p >= qs[j] + kMinEffect - 1e-9) out.push_back({p, qs[j], static_cast<int>(j)});
      }
    }
    return out;
  }();
  return cells;
}

std::size_t QCount() {
  std::size_t qs = 0;
  for (const Cell& c : Cells()) qs = std::max(qs, static_cast<std::size_t>(c.q_index) + 1);
  return qs;
}

std::vector<double> CellPrior() {
  const std::vector<Cell>& cells = Cells();
  const std::size_t qs = QCount();
  std::vector<double> p_points(qs, 0.0);
  for (const Cell& c : cells) {
    if (c.p < 0.99) p_points[static_cast<std::size_t>(c.q_index)] += 1;
  }
  std::vector<double> prior;
  for (const Cell& c : cells) {
    double q_mass = c.q == 0 ? kNoBackgroundPrior : (1 - kNoBackgroundPrior) / (qs - 1.0);
    double p_mass = c.p == 1.0    ? kAlwaysPrior
                    : c.p >= 0.99 ? kAlmostAlwaysPrior
                                  : (1 - kAlwaysPrior - kAlmostAlwaysPrior) /
                                        p_points[static_cast<std::size_t>(c.q_index)];
    prior.push_back(q_mass * p_mass);
  }
  return prior;
}

std::vector<double> SameRates() {
  std::vector<double> out = {0, 0.01, 0.02, 0.05};
  for (int i = 2; i <= 19; ++i) out.push_back(i * 0.05);
  out.insert(out.end(), {0.98, 0.99, 1.0});
  return out;
}

double Entropy(double x) {
  if (x <= 0 || x >= 1) return 0;
  return -x * std::log(x) - (1 - x) * std::log1p(-x);
}

double Logit(double x) {
  x = std::clamp(x, 1e-12, 1 - 1e-12);
  return std::log(x / (1 - x));
}

std::vector<double> Normalized(std::vector<double> w) {
  double total = 0;
  for (double x : w) total += x;
  for (double& x : w) x = total > 0 ? x / total : 1.0 / static_cast<double>(w.size());
  return w;
}

double Likelihood(double rate, const stats::Counts& runs) {
  return std::pow(rate, runs.failures) * std::pow(1 - rate, runs.passes());
}

CellLikelihood LikelihoodOverCells(const std::vector<double>& cell_w, const stats::Counts& runs) {
  const std::vector<Cell>& cells = Cells();
  CellLikelihood out;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    out.at_p += cell_w[c] * Likelihood(cells[c].p, runs);
    out.at_q += cell_w[c] * Likelihood(cells[c].q, runs);
  }
  return out;
}

double RatePosterior(const std::vector<double>& cell_w, const stats::Counts& runs) {
  CellLikelihood l = LikelihoodOverCells(cell_w, runs);
  return l.at_p + l.at_q > 0 ? l.at_p / (l.at_p + l.at_q) : 0.5;
}

double LikelihoodAfter(const stats::Counts& seen, const stats::Counts& runs) {
  const double a = seen.failures + 0.5;
  const double b = seen.passes() + 0.5;
  return std::exp(stats::LogBeta(a + runs.failures, b + runs.passes()) - stats::LogBeta(a, b));
}

std::vector<double> MixFlatP(const std::vector<double>& found, double keep) {
  const std::vector<Cell>& cells = Cells();
  const std::size_t qs = QCount();
  std::vector<double> q_marginal(qs, 0.0), p_count(qs, 0.0);
  for (std::size_t c = 0; c < cells.size(); ++c) {
    q_marginal[static_cast<std::size_t>(cells[c].q_index)] += found[c];
    p_count[static_cast<std::size_t>(cells[c].q_index)] += 1;
  }
  std::vector<double> prior(cells.size());
  for (std::size_t c = 0; c < cells.size(); ++c) {
    auto q = static_cast<std::size_t>(cells[c].q_index);
    prior[c] = keep * found[c] + (1 - keep) * q_marginal[q] / p_count[q];
  }
  return prior;
}

std::vector<int> ChooseProbes(const Predictive& pr, int count, double* gain) {
  int m = static_cast<int>(pr.weight.size()) - 1;
  std::vector<std::vector<double>> branches = {pr.weight};
  std::vector<double> none = {pr.none_weight};
  std::vector<double> h_p(pr.p.size()), h_q(pr.q.size());
  for (std::size_t t = 0; t < pr.p.size(); ++t) {
    h_p[t] = Entropy(pr.p[t]);
    h_q[t] = Entropy(pr.q[t]);
  }
  double h_none = Entropy(pr.none_rate);
  std::vector<int> picks;
  std::vector<double> gains(static_cast<std::size_t>(m) + 1);
  while (static_cast<int>(picks.size()) < count) {
    if (branches.size() > kMaxBranches) {
      picks.push_back(picks[picks.size() % (picks.size() / 2 + 1)]);
      continue;
    }
    std::fill(gains.begin(), gains.end(), 0.0);
    for (std::size_t b = 0; b < branches.size(); ++b) {
      const std::vector<double>& w = branches[b];
      double total = none[b], all_q = 0, all_hq = 0;
      for (std::size_t t = 0; t < w.size(); ++t) {
        total += w[t];
        all_q += w[t] * pr.q[t];
        all_hq += w[t] * h_q[t];
      }
      if (total <= 0) continue;
      // Prefix sums over t <= i: those hypotheses put the culprit in the probe.
      double in_p = 0, in_hp = 0, in_q = 0, in_hq = 0;
      for (int i = 0; i <= m; ++i) {
        auto t = static_cast<std::size_t>(i);
        in_p += w[t] * pr.p[t];
        in_hp += w[t] * h_p[t];
        in_q += w[t] * pr.q[t];
        in_hq += w[t] * h_q[t];
        double fail = in_p + (all_q - in_q) + none[b] * pr.none_rate;
        double conditional = in_hp + (all_hq - in_hq) + none[b] * h_none;
        gains[t] += total * Entropy(std::clamp(fail / total, 0.0, 1.0)) - conditional;
      }
    }
    int best = static_cast<int>(std::max_element(gains.begin(), gains.end()) - gains.begin());
    if (picks.empty() && gain) *gain = gains[static_cast<std::size_t>(best)];
    picks.push_back(best);
    if (static_cast<int>(picks.size()) == count) break;
    std::vector<std::vector<double>> next;
    std::vector<double> next_none;
    for (std::size_t b = 0; b < branches.size(); ++b) {
      for (bool failed : {true, false}) {
        std::vector<double> w = branches[b];
        for (std::size_t t = 0; t < w.size(); ++t) {
          double f = static_cast<int>(t) <= best ? pr.p[t] : pr.q[t];
          w[t] *= failed ? f : 1 - f;
        }
        next.push_back(std::move(w));
        next_none.push_back(none[b] * (failed ? pr.none_rate : 1 - pr.none_rate));
      }
    }
    branches = std::move(next);
    none = std::move(next_none);
  }
  return picks;
}

Posterior::Posterior(const Prior& prior)
    : m_(prior.m), none_rate_(prior.none_rates), none_w_(prior.none_weights) {
  std::vector<double> t_prior(Width(), 0.0);
  double rest = 1 - prior.none;
  if (prior.allow_zero) {
    t_prior[0] = m_ == 0 ? rest : rest * kCompletePrior;
    rest -= t_prior[0];
  }
  for (int t = 1; t <= m_; ++t) t_prior[static_cast<std::size_t>(t)] = rest / m_;
  w_.resize(Cells().size() * Width());
  for (std::size_t c = 0; c < Cells().size(); ++c) {
    for (std::size_t t = 0; t < Width(); ++t) w_[c * Width() + t] = prior.cells[c] * t_prior[t];
  }
  double none_total = 0;
  for (double w : none_w_) none_total += w;
  for (double& w : none_w_) w *= none_total > 0 ? prior.none / none_total : 0;
  Normalize();
}

void Posterior::Observe(int prefix, bool failed) {
  const std::vector<Cell>& cells = Cells();
  for (std::size_t c = 0; c < cells.size(); ++c) {
    double in = failed ? cells[c].p : 1 - cells[c].p;
    double out = failed ? cells[c].q : 1 - cells[c].q;
    double* w = &w_[c * Width()];
    for (std::size_t t = 0; t < Width(); ++t) w[t] *= static_cast<int>(t) <= prefix ? in : out;
  }
  for (std::size_t r = 0; r < none_w_.size(); ++r) {
    none_w_[r] *= failed ? none_rate_[r] : 1 - none_rate_[r];
  }
  Normalize();
}

Predictive Posterior::Predict() const {
  Predictive pr;
  pr.weight.assign(Width(), 0.0);
  pr.p.assign(Width(), 0.0);
  pr.q.assign(Width(), 0.0);
  const std::vector<Cell>& cells = Cells();
  for (std::size_t c = 0; c < cells.size(); ++c) {
    for (std::size_t t = 0; t < Width(); ++t) {
      double w = w_[c * Width() + t];
      pr.weight[t] += w;
      pr.p[t] += w * cells[c].p;
      pr.q[t] += w * cells[c].q;
    }
  }
  for (std::size_t t = 0; t < Width(); ++t) {
    if (pr.weight[t] > 0) {
      pr.p[t] /= pr.weight[t];
      pr.q[t] /= pr.weight[t];
    }
  }
  for (std::size_t r = 0; r < none_w_.size(); ++r) {
    pr.none_weight += none_w_[r];
    pr.none_rate += none_w_[r] * none_rate_[r];
  }
  if (pr.none_weight > 0) pr.none_rate /= pr.none_weight;
  return pr;
}

double Posterior::NoneLikelihood(const stats::Counts& runs) const {
  double total = 0, like = 0;
  for (std::size_t r = 0; r < none_w_.size(); ++r) {
    total += none_w_[r];
    like += none_w_[r] * Likelihood(none_rate_[r], runs);
  }
  return total > 0 ? like / total : 1;
}

std::vector<double> Posterior::CellsGiven(int t) const {
  std::vector<double> out(Cells().size());
  for (std::size_t c = 0; c < out.size(); ++c) {
    out[c] = w_[c * Width() + static_cast<std::size_t>(t)];
  }
  return Normalized(std::move(out));
}

std::vector<double> Posterior::CellMarginal() const {
  std::vector<double> out(Cells().size(), 0.0);
  for (std::size_t c = 0; c < out.size(); ++c) {
    for (std::size_t t = 0; t < Width(); ++t) out[c] += w_[c * Width() + t];
  }
  return Normalized(std::move(out));
}

void Posterior::Normalize() {
  double total = 0;
  for (double w : w_) total += w;
  for (double w : none_w_) total += w;
  // Every cell has 0 < p < 1 or 0 < q < 1 somewhere on the grid, so some
  // mass always survives; the guard is for a caller's empty prior.
  if (total <= 0) return;
  for (double& w : w_) w /= total;
  for (double& w : none_w_) w /= total;
}

}  // namespace timerbisect::search
