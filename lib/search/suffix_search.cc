#include "search/suffix_search.h"

#include <bit>
#include <optional>
#include <string>

namespace timerbisect::search {
namespace {

using protocol::PatternSpec;
using protocol::Suffix;
using Suffixes = std::vector<Suffix>;

std::uint64_t LowMask(int width) {
  return width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
}

// One trial, as Go's Result: whether it failed and which reported IDs match
// the suffix it was tracking.
struct Trial {
  bool failed = false;
  Suffix suffix;
  Ids match_ids;
  std::string pattern;
};

class SuffixSearcher {
 public:
  SuffixSearcher(Prober& prober, bool invert, int hex_digits, Suffixes skip, int max_set_size)
      : prober_(prober),
        invert_(invert),
        hex_digits_(hex_digits),
        skip_(std::move(skip)),
        max_set_size_(max_set_size) {}

  bool too_large() const { return too_large_; }

  void Run(Trial broken, int max_sets, std::vector<ChangeSet>& sets) {
    for (;;) {
      std::optional<Suffixes> bad = Find(broken, {});
      if (!bad) return;

      // Confirm the set really fails, to avoid false accusations; verbose,
      // so the target prints the stacks the report shows.
      std::optional<Trial> confirm = Try(std::nullopt, *bad, /*verbose=*/true);
      if (!confirm) return;
      if (!confirm->failed || confirm->match_ids.empty()) {
        prober_.Stop("confirmation probe " + ShortPattern(confirm->pattern) +
                     " passed: the target fails inconsistently" + kFlakyAdvice);
        return;
      }
      sets.push_back({confirm->match_ids, protocol::PatternForIds(confirm->match_ids, invert_)});
      prober_.Settled(sets, invert_);
      if (max_sets > 0 && static_cast<int>(sets.size()) >= max_sets) return;

      // Skip the set and see whether the rest still fails (Go puts the new
      // suffixes first).
      skip_.insert(skip_.begin(), bad->begin(), bad->end());
      std::optional<Trial> rest = Try(std::nullopt, {}, false);
      if (!rest || !rest->failed) return;
      broken = std::move(*rest);
    }
  }

 private:
  // Runs the sites matching `suffix` (every site when nullopt) plus `add`,
  // minus the skipped ones. nullopt: stopped.
  std::optional<Trial> Try(std::optional<Suffix> suffix, const Suffixes& add, bool verbose) {
    PatternSpec spec{verbose, invert_, {}, skip_};
    if (suffix) spec.add.push_back(*suffix);
    spec.add.insert(spec.add.end(), add.begin(), add.end());
    if (spec.add.empty()) spec.add.push_back(Suffix::All());
    Trial t;
    t.pattern = protocol::BuildPattern(spec);
    t.suffix = suffix.value_or(Suffix::All());
    std::optional<Observation> obs = prober_.Run(t.pattern);
    if (!obs) return std::nullopt;
    t.failed = obs->failed;
    for (std::uint64_t id : obs->reported) {
      if (t.suffix.Matches(id)) t.match_ids.push_back(id);
    }
    return t;
  }

  // Finds a locally minimal set inside r.suffix, given that r (r.suffix plus
  // `add`, minus the skipped sites) failed. Returns the set as hex suffixes.
  std::optional<Suffixes> Find(const Trial& r, const Suffixes& add) {
    if (!r.failed) {
      prober_.Stop("internal error: suffix search resumed from a passing probe");
      return std::nullopt;
    }
    if (r.match_ids.empty()) {
      prober_.Stop("target failed under pattern " + ShortPattern(r.pattern) +
                   " without reporting any site it selects");
      return std::nullopt;
    }
    prober_.SetInPlay(static_cast<int>(r.match_ids.size()));
    if (r.match_ids.size() == 1) {
      int width = 4 * hex_digits_;
      return Suffixes{Suffix{r.match_ids[0] & LowMask(width), width}};
    }
    if (r.suffix.width >= 64) {
      prober_.Stop("target reports two sites with the same 64-bit ID");
      return std::nullopt;
    }

    // Extend past the bits every match shares, so each probe splits.
    Suffix common = CommonSuffix(r.match_ids);
    Suffix zero = common.Extend(0), one = common.Extend(1);

    // If one half fails alone, chase the failure there.
    std::optional<Trial> r0 = Try(zero, add, false);
    if (!r0) return std::nullopt;
    if (r0->failed) return Find(*r0, add);
    std::optional<Trial> r1 = Try(one, add, false);
    if (!r1) return std::nullopt;
    if (r1->failed) return Find(*r1, add);

    // Both halves pass alone, so the failure needs sites from each: narrow
    // the 0 half with the whole 1 half on, then the 1 half with the sites
    // found in the 0 half on. With -maxset, Go gives up here when that
    // makes more than max_set_size sites with the ones already added.
    if (max_set_size_ > 0 && 2 + static_cast<int>(add.size()) > max_set_size_) {
      too_large_ = true;
      return std::nullopt;
    }
    Suffixes add0 = add;
    add0.push_back(one);
    r0 = Try(zero, add0, false);
    if (!r0) return std::nullopt;
    if (!r0->failed) {
      prober_.Stop(InconsistentMessage(r0->pattern, 0, 1) + " (it selects the same sites as " +
                   ShortPattern(r.pattern) + ", which failed)");
      return std::nullopt;
    }
    std::optional<Suffixes> bad0 = Find(*r0, add0);
    if (!bad0) return std::nullopt;

    Suffixes add1 = add;
    add1.insert(add1.end(), bad0->begin(), bad0->end());
    r1 = Try(one, add1, false);
    if (!r1) return std::nullopt;
    if (!r1->failed) {
      prober_.Stop(InconsistentMessage(r1->pattern, 0, 1) +
                   " (the sites found in the other half failed with all of these)");
      return std::nullopt;
    }
    std::optional<Suffixes> bad1 = Find(*r1, add1);
    if (!bad1) return std::nullopt;
    bad0->insert(bad0->end(), bad1->begin(), bad1->end());
    return bad0;
  }

  Prober& prober_;
  bool invert_;
  int hex_digits_;
  Suffixes skip_;  // grows as sets are found; fixed during one Find
  int max_set_size_;
  bool too_large_ = false;
};

}  // namespace

int SkipHexDigits(const Ids& ids) {
  int digits = 16;
  for (int d = 0; d < 16; ++d) {
    Ids low;
    low.reserve(ids.size());
    for (std::uint64_t id : ids) low.push_back(id & LowMask(4 * d));
    if (SortedUnique(std::move(low)).size() == ids.size()) {
      digits = d;
      break;
    }
  }
  return digits < 16 ? digits + 1 : digits;
}

Suffix CommonSuffix(const Ids& ids) {
  if (ids.empty()) return Suffix::All();
  std::uint64_t differ = 0;
  for (std::uint64_t id : ids) differ |= id ^ ids[0];
  int width = differ == 0 ? 64 : std::countr_zero(differ);
  return {ids[0] & LowMask(width), width};
}

bool SuffixSearch(Prober& prober, const Start& start, const Ids& excluded, int max_sets,
                  int max_set_size, std::vector<ChangeSet>& sets) {
  Ids seen = start.universe;
  seen.insert(seen.end(), excluded.begin(), excluded.end());
  Suffixes skip;
  for (std::uint64_t id : excluded) skip.push_back(Suffix::Id(id));
  Trial broken{true, Suffix::All(), {}, start.invert ? "n" : "y"};
  for (std::uint64_t id : start.broken.reported) {
    bool is_excluded = false;
    for (std::uint64_t x : excluded) is_excluded = is_excluded || x == id;
    if (!is_excluded) broken.match_ids.push_back(id);
  }
  SuffixSearcher searcher(prober, start.invert, SkipHexDigits(SortedUnique(seen)), std::move(skip),
                          max_set_size);
  searcher.Run(std::move(broken), max_sets, sets);
  return searcher.too_large();
}

}  // namespace timerbisect::search
