#include "search/subset_posterior.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "search/posterior.h"

namespace timerbisect::search {
namespace {

// Batches are chosen by enumerating the outcomes of the probes picked so
// far; past this many branches the rest of the batch repeats the picks.
constexpr std::size_t kMaxBranches = 256;
// A hypothesis with less posterior than this is dropped (see Normalize).
constexpr double kNegligible = 1e-14;

// The cells of posterior.h's grid this posterior keeps: p in 0.1, 0.2, ...,
// 0.9, 0.95, 0.99, 1 and q in 0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7
// (81 of 220). With m^2 hypotheses per cell, the full grid made a probe
// cost about 7 ms of arithmetic at m = 90; the coarse one keeps the points
// real rates sit near.
bool OnCoarseGrid(const Cell& c) {
  auto near = [](double x, std::initializer_list<double> points) {
    for (double point : points) {
      if (std::abs(x - point) < 1e-9) return true;
    }
    return false;
  };
  return near(c.p, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0}) &&
         near(c.q, {0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7});
}

// What hypothesis h predicts, its (p, q) marginalized.
struct Prediction {
  double w = 0;
  double p = 0, q = 0;    // rates if it fires / does not
  double hp = 0, hq = 0;  // their entropies
};

// One combination of the outcomes of the probes already in a batch.
struct Branch {
  std::vector<double> w;  // per hypothesis
  double none = 0;
};

}  // namespace

bool Hypothesis::Fires(const std::vector<bool>& in) const {
  bool in_a = in[static_cast<std::size_t>(a)];
  switch (kind) {
    case kOne:
      return in_a;
    case kEither:
      return in_a || in[static_cast<std::size_t>(b)];
    case kBoth:
      return in_a && in[static_cast<std::size_t>(b)];
    case kAll:
      return std::all_of(all.begin(), all.end(),
                         [&](int s) { return in[static_cast<std::size_t>(s)]; });
  }
  return false;
}

SubsetPosterior::SubsetPosterior(const Prior& prior)
    : m_(prior.m),
      none_rate_(prior.none_rates),
      none_w_(prior.none_weights),
      touching_(static_cast<std::size_t>(prior.m)) {
  const double pairs = m_ * (m_ - 1) / 2.0;
  double one = prior.one_share, both = pairs > 0 ? prior.both_share : 0;
  double either = pairs > 0 ? std::max(0.0, 1 - prior.one_share - prior.both_share) : 0;
  double kinds = one + both + either;
  const double rest = 1 - prior.none;
  std::vector<double> h_prior;
  for (int a = 0; a < m_; ++a) {
    hyp_.push_back({Hypothesis::kOne, a, -1});
    h_prior.push_back(rest * one / kinds / m_);
  }
  for (int a = 0; a < m_; ++a) {
    for (int b = a + 1; b < m_; ++b) {
      for (Hypothesis::Kind kind : {Hypothesis::kEither, Hypothesis::kBoth}) {
        hyp_.push_back({kind, a, b});
        h_prior.push_back(rest * (kind == Hypothesis::kBoth ? both : either) / kinds / pairs);
      }
    }
  }
  for (std::size_t h = 0; h < hyp_.size(); ++h) {
    touching_[static_cast<std::size_t>(hyp_[h].a)].push_back(static_cast<int>(h));
    if (hyp_[h].b >= 0)
      touching_[static_cast<std::size_t>(hyp_[h].b)].push_back(static_cast<int>(h));
  }
  live_.resize(hyp_.size());
  for (std::size_t h = 0; h < hyp_.size(); ++h) live_[h] = static_cast<int>(h);
  alive_.assign(hyp_.size(), true);
  for (std::size_t c = 0; c < Cells().size(); ++c) {
    if (OnCoarseGrid(Cells()[c])) {
      grid_.push_back(Cells()[c]);
      grid_index_.push_back(c);
    }
  }
  const std::size_t cells = grid_.size();
  for (std::size_t c = 0; c < cells; ++c) cell_prior_.push_back(prior.cells[grid_index_[c]]);
  w_.resize(hyp_.size() * cells);
  for (std::size_t h = 0; h < hyp_.size(); ++h) {
    for (std::size_t c = 0; c < cells; ++c) w_[h * cells + c] = h_prior[h] * cell_prior_[c];
  }
  h_prior_ = std::move(h_prior);
  double none_total = 0;
  for (double w : none_w_) none_total += w;
  for (double& w : none_w_) w *= none_total > 0 ? prior.none / none_total : 0;
  Normalize();
}

void SubsetPosterior::Observe(const std::vector<bool>& in, bool failed) {
  const std::vector<Cell>& cells = grid_;
  std::vector<double> fire(cells.size()), quiet(cells.size());
  for (std::size_t c = 0; c < cells.size(); ++c) {
    fire[c] = failed ? cells[c].p : 1 - cells[c].p;
    quiet[c] = failed ? cells[c].q : 1 - cells[c].q;
  }
  for (int live : live_) {
    auto h = static_cast<std::size_t>(live);
    const std::vector<double>& f = hyp_[h].Fires(in) ? fire : quiet;
    double* w = &w_[h * cells.size()];
    for (std::size_t c = 0; c < cells.size(); ++c) w[c] *= f[c];
  }
  for (std::size_t r = 0; r < none_w_.size(); ++r) {
    none_w_[r] *= failed ? none_rate_[r] : 1 - none_rate_[r];
  }
  runs_.push_back({in, failed});
  Normalize();
}

double SubsetPosterior::Likelihood(const Hypothesis& h, const Cell& cell) const {
  double log_like = 0;
  for (const Run& run : runs_) {
    double rate = h.Fires(run.in) ? cell.p : cell.q;
    log_like += std::log(run.failed ? rate : 1 - rate);
  }
  return std::exp(log_like + log_scale_);
}

void SubsetPosterior::Add(Hypothesis h, double prior) {
  const std::size_t cells = grid_.size();
  const auto index = static_cast<int>(hyp_.size());
  for (std::size_t c = 0; c < cells; ++c) {
    w_.push_back(prior * cell_prior_[c] * Likelihood(h, grid_[c]));
  }
  for (int site : h.all) touching_[static_cast<std::size_t>(site)].push_back(index);
  all_sets_.insert(h.all);
  hyp_.push_back(std::move(h));
  h_prior_.push_back(prior);
  alive_.push_back(true);
  live_.push_back(index);
}

bool SubsetPosterior::GrowLeadingSet(const SetBelief& lead, double at_least, double share,
                                     int max_size) {
  const auto size = static_cast<int>(lead.members.size());
  if (lead.hypothesis < 0 || size >= std::min(max_size, m_) || lead.posterior < at_least) {
    return false;
  }
  if (!grown_.insert(lead.members).second) return false;
  const double prior = h_prior_[static_cast<std::size_t>(lead.hypothesis)] * share / (m_ - size);
  bool added = false;
  for (int site = 0; site < m_; ++site) {
    if (std::binary_search(lead.members.begin(), lead.members.end(), site)) continue;
    std::vector<int> all = lead.members;
    all.insert(std::upper_bound(all.begin(), all.end(), site), site);
    if (all_sets_.count(all) > 0) continue;  // grown from another set
    Add({Hypothesis::kAll, all.front(), -1, std::move(all)}, prior);
    added = true;
  }
  if (added) Normalize();
  return added;
}

double SubsetPosterior::none() const {
  double total = 0;
  for (double w : none_w_) total += w;
  return total;
}

SubsetPosterior::SetBelief SubsetPosterior::BestSet() const {
  // Per set: {a} by a, {a, b} by m + the pair's index among kBoth.
  const auto m = static_cast<std::size_t>(m_);
  std::vector<double> belief(hyp_.size() + m, 0.0);
  std::vector<std::size_t> key(hyp_.size());
  for (int live : live_) {
    auto h = static_cast<std::size_t>(live);
    const Hypothesis& hy = hyp_[h];
    bool whole = hy.kind == Hypothesis::kBoth || hy.kind == Hypothesis::kAll;
    key[h] = whole ? m + h : static_cast<std::size_t>(hy.a);
    belief[key[h]] += h_total_[h];
    if (hy.kind == Hypothesis::kEither) belief[static_cast<std::size_t>(hy.b)] += h_total_[h];
  }
  std::size_t best =
      static_cast<std::size_t>(std::max_element(belief.begin(), belief.end()) - belief.begin());
  SetBelief out;
  out.posterior = belief[best];
  if (best < m) {
    out.members = {static_cast<int>(best)};
  } else {
    const Hypothesis& hy = hyp_[best - m];
    out.members = hy.kind == Hypothesis::kAll ? hy.all : std::vector<int>{hy.a, hy.b};
    out.hypothesis = static_cast<int>(best - m);
  }
  const std::size_t cells = grid_.size();
  out.cells.assign(Cells().size(), 0.0);
  for (int live : live_) {
    auto h = static_cast<std::size_t>(live);
    const Hypothesis& hy = hyp_[h];
    bool names = key[h] == best ||
                 (hy.kind == Hypothesis::kEither && static_cast<std::size_t>(hy.b) == best);
    if (!names) continue;
    for (std::size_t c = 0; c < cells; ++c) out.cells[grid_index_[c]] += w_[h * cells + c];
  }
  out.cells = Normalized(std::move(out.cells));
  return out;
}

std::vector<std::vector<bool>> SubsetPosterior::Choose(int count, double* gain) const {
  const std::vector<Cell>& cells = grid_;
  std::vector<Prediction> pred(hyp_.size());
  for (int live : live_) {
    auto h = static_cast<std::size_t>(live);
    Prediction& pr = pred[h];
    for (std::size_t c = 0; c < cells.size(); ++c) {
      double w = w_[h * cells.size() + c];
      pr.w += w;
      pr.p += w * cells[c].p;
      pr.q += w * cells[c].q;
    }
    if (pr.w > 0) {
      pr.p /= pr.w;
      pr.q /= pr.w;
    }
    pr.hp = Entropy(pr.p);
    pr.hq = Entropy(pr.q);
  }
  double none_w = 0, none_rate = 0;
  for (std::size_t r = 0; r < none_w_.size(); ++r) {
    none_w += none_w_[r];
    none_rate += none_w_[r] * none_rate_[r];
  }
  if (none_w > 0) none_rate /= none_w;
  const double none_h = Entropy(none_rate);

  std::vector<Branch> branches(1);
  for (const Prediction& pr : pred) branches[0].w.push_back(pr.w);
  branches[0].none = none_w;
  std::vector<std::vector<bool>> picks;
  const auto m = static_cast<std::size_t>(m_);
  while (static_cast<int>(picks.size()) < count) {
    if (branches.size() > kMaxBranches) {
      picks.push_back(picks[picks.size() % (picks.size() / 2 + 1)]);
      continue;
    }
    // Per branch: total weight, P(fail) mass and expected conditional
    // entropy of the probe built so far (nothing toggled to start).
    std::size_t nb = branches.size();
    std::vector<double> total(nb, 0), fail(nb, 0), cond(nb, 0);
    for (std::size_t b = 0; b < nb; ++b) {
      total[b] = branches[b].none;
      fail[b] = branches[b].none * none_rate;
      cond[b] = branches[b].none * none_h;
      for (int live : live_) {
        auto h = static_cast<std::size_t>(live);
        total[b] += branches[b].w[h];
        fail[b] += branches[b].w[h] * pred[h].q;
        cond[b] += branches[b].w[h] * pred[h].hq;
      }
    }
    auto info = [&](const std::vector<double>& f, const std::vector<double>& e) {
      double sum = 0;
      for (std::size_t b = 0; b < nb; ++b) {
        if (total[b] > 0) sum += total[b] * Entropy(std::clamp(f[b] / total[b], 0.0, 1.0)) - e[b];
      }
      return sum;
    };
    std::vector<bool> in(m, false);
    double current = info(fail, cond);
    std::vector<double> try_fail(nb), try_cond(nb), best_fail(nb), best_cond(nb);
    for (;;) {
      double best_info = current;
      std::size_t best_site = m;
      for (std::size_t s = 0; s < m; ++s) {
        if (in[s]) continue;
        try_fail = fail;
        try_cond = cond;
        in[s] = true;
        for (int h : touching_[s]) {
          if (!alive_[static_cast<std::size_t>(h)]) continue;
          const Hypothesis& hy = hyp_[static_cast<std::size_t>(h)];
          // Only a hypothesis the site turns on changes the prediction.
          std::size_t other = static_cast<std::size_t>(hy.a == static_cast<int>(s) ? hy.b : hy.a);
          bool before = hy.kind == Hypothesis::kEither && in[other];
          if (before || !hy.Fires(in)) continue;
          const Prediction& pr = pred[static_cast<std::size_t>(h)];
          for (std::size_t b = 0; b < nb; ++b) {
            double w = branches[b].w[static_cast<std::size_t>(h)];
            try_fail[b] += w * (pr.p - pr.q);
            try_cond[b] += w * (pr.hp - pr.hq);
          }
        }
        in[s] = false;
        double i = info(try_fail, try_cond);
        if (i > best_info + 1e-12) {
          best_info = i;
          best_site = s;
          best_fail = try_fail;
          best_cond = try_cond;
        }
      }
      if (best_site == m) break;
      in[best_site] = true;
      fail = best_fail;
      cond = best_cond;
      current = best_info;
    }
    if (picks.empty() && gain) *gain = current;
    picks.push_back(in);
    if (static_cast<int>(picks.size()) == count) break;
    std::vector<Branch> next;
    for (const Branch& br : branches) {
      for (bool failed : {true, false}) {
        Branch out;
        out.w.resize(hyp_.size());
        for (int live : live_) {
          auto h = static_cast<std::size_t>(live);
          double f = hyp_[h].Fires(in) ? pred[h].p : pred[h].q;
          out.w[h] = br.w[h] * (failed ? f : 1 - f);
        }
        out.none = br.none * (failed ? none_rate : 1 - none_rate);
        next.push_back(std::move(out));
      }
    }
    branches = std::move(next);
  }
  return picks;
}

void SubsetPosterior::Normalize() {
  const std::size_t cells = grid_.size();
  double total = 0;
  for (int live : live_) {
    const double* w = &w_[static_cast<std::size_t>(live) * cells];
    for (std::size_t c = 0; c < cells; ++c) total += w[c];
  }
  for (double w : none_w_) total += w;
  if (total <= 0) return;
  const double scale = 1 / total;
  log_scale_ += std::log(scale);
  h_total_.resize(hyp_.size(), 0.0);
  std::vector<int> kept;
  for (int live : live_) {
    auto h = static_cast<std::size_t>(live);
    double* w = &w_[h * cells];
    // Tiny weights are flushed to 0: denormals would make every later pass
    // many times slower, and 1e-200 is no evidence for anything.
    double sum = 0;
    for (std::size_t c = 0; c < cells; ++c) {
      double x = w[c] * scale;
      w[c] = x < 1e-200 ? 0 : x;
      sum += w[c];
    }
    h_total_[h] = sum;
    if (sum >= kNegligible) {
      kept.push_back(live);
    } else {
      alive_[h] = false;
      h_total_[h] = 0;
    }
  }
  live_ = std::move(kept);
  for (double& w : none_w_) w *= scale;
}

}  // namespace timerbisect::search
