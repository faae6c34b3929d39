#include "search/id_split.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include "protocol/marker.h"
#include "protocol/pattern.h"
#include "search/suffix_search.h"

namespace timerbisect::search {
namespace {

bool Includes(const Ids& big, const Ids& small) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

// The sites a probe toggled: the listed ones, or (for "y", "n" and the
// check for more sets, patterns that name no IDs) every site but the listed
// ones, including sites no run has reported yet.
struct Toggled {
  bool all_but = false;
  Ids ids;
};
Toggled Explicit(Ids ids) {
  return {false, std::move(ids)};
}
Toggled AllBut(Ids ids) {
  return {true, std::move(ids)};
}

bool Disjoint(const Ids& a, const Ids& b) {
  auto i = a.begin(), j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i == *j) return false;
    if (*i < *j)
      ++i;
    else
      ++j;
  }
  return true;
}

// Whether every site `small` toggled is one `big` toggled.
bool Contains(const Toggled& big, const Toggled& small) {
  if (!big.all_but) return !small.all_but && Includes(big.ids, small.ids);
  if (!small.all_but) return Disjoint(small.ids, big.ids);
  return Includes(small.ids, big.ids);
}

// What the search knows about forced + candidates.
enum class Knowledge {
  kFails,  // a probe showed it fails
  kTop,    // unknown; its sibling passed while the parent failed
};

struct Found {
  enum Kind {
    kSet,       // ids: a minimal subset of the candidates; forced + ids failed
    kPasses,    // forced + candidates passed (only from kTop)
    kStopped,   // the prober stopped the search
    kTooLarge,  // the set needs more than max_set_size sites
  } kind;
  Ids ids;
};

class IdSplitSearcher {
 public:
  IdSplitSearcher(Prober& prober, const Start& start, int max_set_size)
      : prober_(prober), start_(start), max_set_size_(max_set_size) {}

  // Returns true when the next set needs more than max_set_size sites.
  bool Run(int max_sets, std::vector<ChangeSet>& sets) {
    // The passing run toggled no site, the failing one every site.
    if (!Record(Explicit({}), false, start_.invert ? "y" : "n") ||
        !Record(AllBut({}), true, start_.invert ? "n" : "y")) {
      return false;
    }
    Ids universe = start_.universe;
    Ids excluded;
    Observation broken = start_.broken;
    for (;;) {
      Ids candidates = Minus(universe, excluded);
      if (candidates.empty()) {
        prober_.Stop("target still fails with the sets found excluded, but reports no other site");
        return false;
      }
      top_ = candidates;
      Found found = FindMinimal({}, candidates, Knowledge::kTop, true, 0);
      if (found.kind == Found::kStopped) return false;
      if (found.kind == Found::kTooLarge) return true;
      if (found.kind == Found::kPasses) {
        // The listed sites alone do not fail as "y" (or "n") did: sites
        // appear or vanish between runs, so only suffixes, which also cover
        // sites not seen yet, can find the rest.
        Start rest = start_;
        rest.broken = broken;
        rest.universe = universe;
        return SuffixSearch(prober_, rest, excluded, max_sets, max_set_size_, sets);
      }
      const Ids& set = found.ids;
      if (!Confirm(set)) return false;
      sets.push_back({set, protocol::PatternForIds(set, start_.invert)});
      prober_.Settled(sets, start_.invert);
      excluded = Union(excluded, set);
      if (max_sets > 0 && static_cast<int>(sets.size()) >= max_sets) return false;

      // Does anything fail with every set found so far excluded? This run
      // names no IDs, so it also reaches (and reports) sites not seen yet.
      protocol::PatternSpec spec{false, start_.invert, {protocol::Suffix::All()}, {}};
      for (std::uint64_t id : excluded) spec.skip.push_back(protocol::Suffix::Id(id));
      std::string pattern = protocol::BuildPattern(spec);
      std::optional<Observation> rest = prober_.Run(pattern);
      if (!rest || !Record(AllBut(excluded), rest->failed, pattern)) return false;
      if (!rest->failed) return false;
      universe = Union(universe, rest->reported);
      broken = std::move(*rest);
    }
  }

 private:
  struct Cached {
    bool failed = false;
    bool verbose = false;
    int runs = 0;
  };

  // Whether the sites in `set` (and no others) make the target fail, from the
  // cache when it holds an answer (a verbose one if `verbose`). nullopt:
  // stopped.
  std::optional<bool> Fails(const Ids& set, bool verbose) {
    auto it = cache_.find(set);
    if (it != cache_.end() && (it->second.verbose || !verbose)) return it->second.failed;
    std::string pattern = protocol::PatternForIds(set, start_.invert, verbose);
    std::optional<Observation> obs = prober_.Run(pattern);
    if (!obs) return std::nullopt;
    if (it != cache_.end()) {
      // The same sites again, now verbose: must agree with the first probe.
      Cached& c = it->second;
      int runs = c.runs + prober_.count();
      if (obs->failed != c.failed) {
        prober_.Stop(InconsistentMessage(pattern, obs->failed ? prober_.count() : c.runs, runs));
        return std::nullopt;
      }
      c.verbose = true;
      c.runs = runs;
      return c.failed;
    }
    if (!Record(Explicit(set), obs->failed, pattern)) return std::nullopt;
    cache_[set] = {obs->failed, verbose, prober_.count()};
    return obs->failed;
  }

  // Adds a result to the history; false (and stops) if it contradicts an
  // earlier one. A target whose failure needs some sites ON fails with any
  // superset of them as well; when that breaks, the target is flaky or its
  // sites interact in ways no minimal set describes, and going on would
  // blame the wrong sites.
  bool Record(const Toggled& toggled, bool failed, const std::string& pattern) {
    for (const Seen& seen : history_) {
      bool contradicts = failed ? !seen.failed && Contains(seen.toggled, toggled)
                                : seen.failed && Contains(toggled, seen.toggled);
      if (!contradicts) continue;
      const std::string& fail_pattern = failed ? pattern : seen.pattern;
      const std::string& pass_pattern = failed ? seen.pattern : pattern;
      prober_.Stop("target is flaky or not monotone: it fails under " + ShortPattern(fail_pattern) +
                   " but passes under " + ShortPattern(pass_pattern) +
                   ", which selects more sites" + kFlakyAdvice);
      return false;
    }
    history_.push_back({toggled, failed, pattern});
    return true;
  }

  // A minimal subset S of `candidates` such that forced + S fails, given
  // that `forced` alone passes (see Knowledge for what is known of forced +
  // candidates). `final`: forced holds only sites of the set being built, so
  // a probe of forced + one site may name the whole set and is made verbose,
  // to serve as its confirmation. `least`: how many sites the set has at
  // least besides those in candidates (a forced half counts one), for
  // max_set_size.
  //
  // When half a passes and nothing is known of the whole, half b is probed
  // before the search goes into it. Following b as if it failed (it does
  // for any one culprit) saved about one run a search of one site, but
  // cost the probes made inside b whenever the failure needed both halves,
  // and left fewer runs for the reproduce check to weigh: with a 5%
  // background failure rate the default named a wrong set about twice as
  // often (docs/SEARCH.md, "The ID split").
  Found FindMinimal(const Ids& forced, const Ids& candidates, Knowledge knowledge, bool final,
                    int least) {
    if (prober_.stop()) return {Found::kStopped, {}};
    prober_.SetInPlay(static_cast<int>(candidates.size()));
    if (knowledge == Knowledge::kTop) {
      // A probe the cache already settles (the search came back here).
      auto it = cache_.find(Union(forced, candidates));
      if (it != cache_.end() && it->second.failed) knowledge = Knowledge::kFails;
      if (it != cache_.end() && !it->second.failed) return {Found::kPasses, {}};
    }
    if (candidates.size() == 1) {
      if (knowledge == Knowledge::kFails) return {Found::kSet, candidates};
      std::optional<bool> fails = Fails(Union(forced, candidates), final);
      if (!fails) return {Found::kStopped, {}};
      return {*fails ? Found::kSet : Found::kPasses, *fails ? candidates : Ids{}};
    }

    auto middle = candidates.begin() + static_cast<std::ptrdiff_t>(candidates.size() / 2);
    Ids a(candidates.begin(), middle), b(middle, candidates.end());
    std::optional<bool> a_fails = Fails(Union(forced, a), final && a.size() == 1);
    if (!a_fails) return {Found::kStopped, {}};
    if (*a_fails) return FindMinimal(forced, a, Knowledge::kFails, final, least);

    if (knowledge == Knowledge::kFails) {
      // The whole failed and half a passed: b is where a lone culprit is.
      Found in_b = FindMinimal(forced, b, Knowledge::kTop, final, least);
      if (in_b.kind != Found::kPasses) return in_b;
      return FromBothHalves(forced, a, b, final, least);
    }

    std::optional<bool> b_fails = Fails(Union(forced, b), final && b.size() == 1);
    if (!b_fails) return {Found::kStopped, {}};
    if (*b_fails) return FindMinimal(forced, b, Knowledge::kFails, final, least);
    // At the top of the search, the failing "y" (or the check for more sets)
    // was this whole, so a and b passing means the failure needs both; with
    // --maxset, a set with sites in both halves may be too large already.
    const bool span_too_large = max_set_size_ > 0 && least + 2 > max_set_size_;
    if (span_too_large && forced.empty() && candidates == top_) return {Found::kTooLarge, {}};

    // Both halves pass: find out whether the whole fails at all. If it
    // does, the search starts over here; the cache answers what it already
    // asked.
    std::optional<bool> fails = Fails(Union(forced, candidates), false);
    if (!fails) return {Found::kStopped, {}};
    if (!*fails) return {Found::kPasses, {}};
    return FindMinimal(forced, candidates, Knowledge::kFails, final, least);
  }

  // forced + a + b fails, forced + a and forced + b pass: the failure needs
  // sites from both halves. Narrow a with all of b on, then b with the part
  // of a found. With max_set_size, give up (as Go's -maxset does) when a
  // site from each half makes the set larger than that.
  Found FromBothHalves(const Ids& forced, const Ids& a, const Ids& b, bool final, int least) {
    if (max_set_size_ > 0 && least + 2 > max_set_size_) return {Found::kTooLarge, {}};
    Found in_a = FindMinimal(Union(forced, b), a, Knowledge::kFails, false, least + 1);
    if (in_a.kind != Found::kSet) return in_a;
    Found in_b = FindMinimal(Union(forced, in_a.ids), b, Knowledge::kFails, final,
                             least + static_cast<int>(in_a.ids.size()));
    if (in_b.kind != Found::kSet) return in_b;
    return {Found::kSet, Union(in_a.ids, in_b.ids)};
  }

  // A verbose probe of exactly the set must fail (the search's own probe of
  // it counts when it was verbose), and without any one member it must pass
  // (a passing probe of more sites than that counts).
  bool Confirm(const Ids& set) {
    std::optional<bool> fails = Fails(set, true);
    if (!fails) return false;
    std::string pattern = protocol::PatternForIds(set, start_.invert);
    if (!*fails) {
      prober_.Stop("confirmation probe " + ShortPattern(pattern) +
                   " passed although the search derived that it fails: the target is flaky or "
                   "not monotone" +
                   kFlakyAdvice);
      return false;
    }
    if (set.size() < 2) return true;  // without its one member it is the passing base
    for (std::uint64_t id : set) {
      // A run that toggled more than the set without this member and passed
      // already showed it passes (monotone, as every step assumes); the
      // search's own probes usually did, for each member.
      if (PassedWithin(Minus(set, {id}))) continue;
      std::optional<bool> without = Fails(Minus(set, {id}), false);
      if (!without) return false;
      if (*without) {
        prober_.Stop("set " + ShortPattern(pattern) + " is not minimal: the target fails without " +
                     protocol::IdHex(id) + " too; the target is flaky or not monotone" +
                     kFlakyAdvice);
        return false;
      }
    }
    return true;
  }

  // Whether a run that toggled every site of `set` passed.
  bool PassedWithin(const Ids& set) const {
    return std::any_of(history_.begin(), history_.end(), [&](const Seen& seen) {
      return !seen.failed && Contains(seen.toggled, Explicit(set));
    });
  }

  struct Seen {
    Toggled toggled;
    bool failed = false;
    std::string pattern;
  };

  Prober& prober_;
  const Start& start_;
  const int max_set_size_;
  Ids top_;                      // the candidates of the set being searched for
  std::map<Ids, Cached> cache_;  // by the exact set of sites named
  std::vector<Seen> history_;    // every result, for the monotonicity check
};

}  // namespace

bool IdSplitSearch(Prober& prober, const Start& start, int max_sets, int max_set_size,
                   std::vector<ChangeSet>& sets) {
  return IdSplitSearcher(prober, start, max_set_size).Run(max_sets, sets);
}

}  // namespace timerbisect::search
