#include "search/auto_search.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/matcher.h"
#include "protocol/pattern.h"
#include "search/agreement.h"
#include "search/prober.h"
#include "stats/rate.h"

namespace timerbisect::search {
namespace {

void Notice(const Config& config, const std::string& line) {
  if (config.notice) config.notice(line);
}

// Step 3, the reproduce check: a sequential test on the runs made so far.
// The ID split read the target as deterministic: each set fails in every
// run that toggles it, and every other run passes. Against that, for each
// set S and each member x, the alternative "x is innocent: S without x is
// the set, failing a fraction p of the runs that toggle it" (p unknown,
// uniform prior); for a one-site set S without x is nothing, and the
// alternative is a target failing at random. Among the runs that toggle no
// other set, the deterministic reading gives the runs probability 1 and the
// alternative p^F (1-p)^P (F failed and P passed of those toggling S
// without x), so its Bayes factor is B(F+1, P+1). The search's own runs
// usually settle it: every probe that narrowed a set down counts, not only
// its confirmation. While some alternative's factor is above
// (1 - confidence) / 2, the check runs the set again (F + 1) or the set
// without x (P + 1), whichever brings the alternatives nearer their limits;
// a run of the set without x also carries a part of each other set still
// in doubt, and counts for their alternatives too. A flaky culprit that
// passed once by luck leaves it in a set with an innocent site; each of
// these runs shows it with the culprit's failure rate. Any run the sets do
// not explain (a set that passed, a run that failed toggling none) makes
// the target flaky.
class ReproduceCheck {
  // Sets up to this size are weighed against each of their proper subsets.
  static constexpr std::size_t kSubsetsUpTo = 6;
  // How much stricter than a one-site set's a larger set's alternatives are
  // weighed (see the constructor).
  static constexpr double kMultiSiteStrictness = 10;

 public:
  ReproduceCheck(const Config& config, RunPool& pool, const Result& result)
      : pool_(pool),
        result_(result),
        limit_((1 - std::clamp(config.confidence, 0.5, 0.999999)) / 2),
        width_(std::max(1, config.parallelism)),
        // With --max or --maxset sets cut short, a failure may come from a
        // set not searched for.
        complete_(
            !result.more_not_searched &&
            (config.max_sets <= 0 || static_cast<int>(result.sets.size()) < config.max_sets)) {
    Ids universe;
    for (const RunPool::Logged& run : pool.log()) {
      universe = Union(universe, SortedUnique(run.reported));
    }
    const double sites = std::max<double>(2, static_cast<double>(universe.size()));
    for (std::size_t s = 0; s < result.sets.size(); ++s) {
      const Ids& ids = result.sets[s].ids;
      if (ids.size() == 1) {
        alternatives_.push_back({s, {}, limit_});
        continue;
      }
      // Every proper subset of a small set (a flaky culprit can drag in
      // more than one innocent site); only those one member short of a
      // large one.
      const std::size_t k = ids.size();
      std::vector<Ids> parts;
      if (k <= kSubsetsUpTo) {
        for (std::uint32_t mask = 0; mask + 1 < (1u << k); ++mask) {
          Ids part;
          for (std::size_t i = 0; i < k; ++i) {
            if (mask & (1u << i)) part.push_back(ids[i]);
          }
          parts.push_back(std::move(part));
        }
      } else {
        for (std::uint64_t member : ids) parts.push_back(Minus(ids, {member}));
      }
      // Each innocent member was picked among the sites, after the runs: a
      // search that can end in any of sites^dropped such sets must weigh
      // each of them that much more strictly. And a further tenth: a flaky
      // culprit gives the ID split a set of two, three or more sites in one
      // search out of a few, and at (1 - confidence) / 2 per alternative
      // 0.5% of 50%-flaky single culprits came out as a wrong set
      // (simulated, 1000 trials).
      for (Ids& part : parts) {
        double dropped = static_cast<double>(k - part.size());
        alternatives_.push_back(
            {s, std::move(part), limit_ / kMultiSiteStrictness / std::pow(sites, dropped)});
      }
    }
    cap_ = AgreementCap(config.confidence) * static_cast<int>(alternatives_.size());
  }

  // true: every set stands; false: the target is flaky (why()).
  bool Run(const Config& config) {
    bool told = false;
    for (int extra = 0;;) {
      std::vector<RunPool::Logged> runs = pool_.log();
      if (!Explained(runs)) return false;
      std::vector<std::string> batch;
      while (static_cast<int>(batch.size()) < std::min(width_, cap_ - extra)) {
        std::optional<RunPool::Logged> next = MostGainingRun(runs);
        if (!next) break;
        batch.push_back(next->pattern);
        runs.push_back(*next);
      }
      if (batch.empty()) return true;
      if (!told) {
        Notice(config, "checking that the set" + std::string(result_.sets.size() == 1 ? "" : "s") +
                           " found reproduce" + (result_.sets.size() == 1 ? "s" : "") +
                           " and need" + (result_.sets.size() == 1 ? "s" : "") +
                           " each site: more runs of a set or of a set without one of its sites, "
                           "until the runs so far rule out a flaky target");
        told = true;
      }
      std::vector<ProbeResult> got = pool_.Run(batch);
      if (config.progress) {
        for (std::size_t i = 0; i < got.size(); ++i) {
          config.progress({extra + static_cast<int>(i) + 1, batch[i], got[i].failed, 0, 0, true,
                           got[i].reused, got[i].replayed});
        }
      }
      if (got.size() < batch.size()) return true;  // stopped: keep what was found
      extra += static_cast<int>(batch.size());
    }
  }

  const std::string& why() const { return why_; }

 private:
  struct Alternative {
    std::size_t set = 0;  // in result_.sets
    Ids part;             // a proper subset of it, the set under the alternative
    double limit = 0;     // the Bayes factor the runs must bring it down to
  };
  struct Counts {
    int failed = 0, passed = 0;
  };

  // How far, in nats, the runs leave an alternative above its limit.
  double Excess(const std::vector<RunPool::Logged>& runs, const Alternative& alt) {
    Counts c = Count(runs, alt);
    return std::max(0.0, stats::LogBeta(c.failed + 1.0, c.passed + 1.0) - std::log(alt.limit));
  }
  double Excess(const std::vector<RunPool::Logged>& runs) {
    double excess = 0;
    for (const Alternative& alt : alternatives_) excess += Excess(runs, alt);
    return excess;
  }

  // The alternative of set `set` that the runs leave the most above its
  // limit; nullptr if none is above it.
  const Alternative* Worst(const std::vector<RunPool::Logged>& runs, std::size_t set) {
    const Alternative* worst = nullptr;
    double worst_excess = 0;
    for (const Alternative& alt : alternatives_) {
      if (alt.set != set) continue;
      double excess = Excess(runs, alt);
      if (excess > worst_excess) {
        worst = &alt;
        worst_excess = excess;
      }
    }
    return worst;
  }

  // The sites of a run of `alt`'s part, with the part of each other set's
  // worst alternative (`worst`, by set; nullptr once its check is done): a
  // run that toggles some sites of several sets and no whole set passes as
  // the sets predict, and it counts as such a run for each of them (Count),
  // so one run serves every set's check instead of one run a set.
  Ids PartsTogether(const Alternative& alt, const std::vector<const Alternative*>& worst) {
    Ids ids = alt.part;
    for (std::size_t s = 0; s < result_.sets.size(); ++s) {
      if (s == alt.set || worst[s] == nullptr || worst[s]->part.empty()) continue;
      Ids with = Union(ids, worst[s]->part);
      if (ToggledSet(PatternOf(with), result_.sets.size()) < 0) ids = std::move(with);
    }
    return ids;
  }

  // Of the runs that could come next (a set again, or a set without some
  // of its sites with parts of the other sets), the one that brings the
  // alternatives nearest their limits, summed in nats, assumed to go as the
  // sets predict (if it does not, the target is flaky anyway). A set's run
  // moves all of its alternatives, a run without some sites one of them
  // (and those of the parts it carries): for a set of four sites it is
  // often the set's run, where a rule of "whichever count is smaller" ran
  // each member's absence in turn.
  std::optional<RunPool::Logged> MostGainingRun(std::vector<RunPool::Logged>& runs) {
    const double now = Excess(runs);
    if (now <= 0) return std::nullopt;
    std::vector<const Alternative*> worst;
    std::vector<RunPool::Logged> candidates;
    for (std::size_t s = 0; s < result_.sets.size(); ++s) {
      worst.push_back(Worst(runs, s));
      if (worst[s] != nullptr) candidates.push_back({result_.sets[s].pattern, true, {}});
    }
    for (const Alternative& alt : alternatives_) {
      if (worst[alt.set] != nullptr) {
        candidates.push_back({PatternOf(PartsTogether(alt, worst)), false, {}});
      }
    }
    std::optional<RunPool::Logged> best;
    double best_gain = 0;
    for (const RunPool::Logged& run : candidates) {
      runs.push_back(run);
      double gain = now - Excess(runs);
      runs.pop_back();
      if (gain > best_gain) {
        best = run;
        best_gain = gain;
      }
    }
    return best;
  }

  std::string PatternOf(const Ids& ids) const {
    if (ids.empty()) return result_.invert ? "y" : "n";
    return protocol::PatternForIds(ids, result_.invert);
  }

  // Whether a run of `pattern` toggles every site of `ids`.
  bool Toggles(const std::string& pattern, const Ids& ids) {
    auto it = matchers_.find(pattern);
    if (it == matchers_.end()) {
      it = matchers_.emplace(pattern, protocol::Matcher::Parse(pattern)).first;
    }
    if (!it->second) return false;
    return std::all_of(ids.begin(), ids.end(), [&](std::uint64_t id) {
      return it->second->ShouldEnable(id) != result_.invert;
    });
  }

  // The index of the first set `pattern` toggles other than `skip`, or -1.
  int ToggledSet(const std::string& pattern, std::size_t skip) {
    for (std::size_t s = 0; s < result_.sets.size(); ++s) {
      if (s != skip && Toggles(pattern, result_.sets[s].ids)) return static_cast<int>(s);
    }
    return -1;
  }

  // Whether the sets explain every run: those toggling a set failed, the
  // others passed.
  bool Explained(const std::vector<RunPool::Logged>& runs) {
    for (const RunPool::Logged& run : runs) {
      int set = ToggledSet(run.pattern, result_.sets.size());
      if (set >= 0 && !run.failed) {
        why_ = "set " + ShortPattern(result_.sets[static_cast<std::size_t>(set)].pattern) +
               " passed under " + ShortPattern(run.pattern) + " after failing before";
        return false;
      }
      if (set < 0 && run.failed && complete_) {
        why_ = "it failed under " + ShortPattern(run.pattern) + ", which toggles no set found";
        return false;
      }
    }
    return true;
  }

  Counts Count(const std::vector<RunPool::Logged>& runs, const Alternative& alt) {
    Counts c;
    for (const RunPool::Logged& run : runs) {
      if (ToggledSet(run.pattern, alt.set) >= 0 || !Toggles(run.pattern, alt.part)) continue;
      (run.failed ? c.failed : c.passed) += 1;
    }
    return c;
  }

  RunPool& pool_;
  const Result& result_;
  const double limit_;
  const int width_;
  const bool complete_;
  int cap_ = 0;
  std::vector<Alternative> alternatives_;
  std::map<std::string, std::optional<protocol::Matcher>> matchers_;
  std::string why_;
};

}  // namespace

int AgreementCap(double confidence) {
  double miss = std::max(1e-9, (1 - confidence) / 2);
  return std::max(1, static_cast<int>(std::ceil(std::log2(1 / miss))));
}

Result AutoSearch(const Config& config, RunPool& pool) {
  Config id_split = config;
  id_split.algorithm = Algorithm::kIdSplit;
  id_split.settled = nullptr;  // its sets are settled by the reproduce check
  Result result = Search(id_split, pool.probe());
  if (result.interrupted) {
    result.runs = pool.runs();
    return result;
  }
  if (result.outcome == Outcome::kNotSensitive) {
    int cap = AgreementCap(config.confidence);
    Notice(config, std::string("all-old and all-new both ") +
                       (result.agreed_failing ? "failed" : "passed") + "; running each up to " +
                       std::to_string(cap) + " times to rule out a flaky failure");
    Agreement agreement = CheckAgreement(pool.probe(), config.parallelism, result.agreed_failing,
                                         cap, config.progress);
    if (agreement.interrupted) {
      result.outcome = Outcome::kInconclusive;
      result.message = "the probe was interrupted";
      result.interrupted = true;
      result.runs = pool.runs();
      return result;
    }
    if (!agreement.flaky) {
      result.message += " (" + std::to_string(agreement.n_runs) + " runs of each)";
      result.runs = pool.runs();
      return result;
    }
    result.outcome = Outcome::kInconclusive;
    result.message = "all-old failed " + std::to_string(agreement.n_failures) + " of " +
                     std::to_string(agreement.n_runs) + " runs, all-new " +
                     std::to_string(agreement.y_failures) + " of " +
                     std::to_string(agreement.y_runs);
  }
  // --maxset: the failure needs a larger set; not a sign of flakiness.
  if (result.more_not_searched && result.outcome == Outcome::kInconclusive) {
    result.runs = pool.runs();
    return result;
  }
  bool flaky = result.outcome == Outcome::kInconclusive;
  // The ID split's own advice (kFlakyAdvice: rerun with the adaptive
  // search) is what happens next: not repeated.
  std::string flaky_why = result.message.substr(0, result.message.find(kFlakyAdvice));
  std::string what = "the ID split stopped";
  if (result.outcome == Outcome::kFound) {
    what = "the target is flaky";
    ReproduceCheck check(config, pool, result);
    flaky = !check.Run(config);
    flaky_why = check.why();
  }
  if (!flaky) {
    result.runs = pool.runs();
    return result;
  }
  Notice(config, what + " (" + flaky_why +
                     "); switching to the adaptive statistical search, starting from the " +
                     "all-old and all-new runs made so far");
  pool.OfferKept();
  Config adaptive = config;
  adaptive.algorithm = Algorithm::kAdaptive;
  adaptive.count = 1;
  // Its probes are numbered on from the ID split's, and counted with them.
  const int probes_before = result.probes;
  if (config.progress) {
    adaptive.progress = [&config, probes_before](const ProgressEvent& e) {
      ProgressEvent numbered = e;
      numbered.probe += probes_before;
      config.progress(numbered);
    };
  }
  Result again = Search(adaptive, pool.probe());
  again.probes += probes_before;
  again.runs = pool.runs();
  return again;
}

}  // namespace timerbisect::search
