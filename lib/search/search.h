// The bisection: which sites make a test fail. A pure function over one
// probe callback (BatchProbe: patterns in, pass/fail and reported site IDs
// out): no clock, no process, no global RNG, so every algorithm here runs
// against simulated targets in tests and benchmarks exactly as against real
// ones.
//
// The algorithms start as Go's bisect does (golang.org/x/tools cmd/bisect):
// run "n" (every site off) and "y" (every site on). If both pass or both fail
// the target is not sensitive. If "n" passes and "y" fails, the search looks
// for a minimal set of sites whose ENABLING makes it fail; if "n" fails and
// "y" passes, it searches with "!" patterns for a minimal set whose DISABLING
// makes it fail (Result::invert). Each set found is confirmed by a verbose
// probe of exactly that set ("to avoid false accusations"), then excluded, and
// the search repeats while the target still fails with the found sets
// excluded, up to Config::max_sets sets.
//
// Algorithm::kSuffix is Go's suffix bisection, kept as the compatible
// baseline: it splits by the low bits of the IDs, never lists IDs, and uses
// the reported IDs only to tell whether a suffix still matches a site.
//
// Algorithm::kIdSplit (the default) takes the IDs that "y" and "n" reported as
// the universe and splits explicit ID lists in balanced halves. It finds a
// minimal failing subset with the classic recursion (if one half fails alone,
// recurse into it; else find the part needed from each half with the other
// half forced on), and, when one half passes, goes on into the other half
// without first probing it (for one culprit that half must fail; the guess is
// checked one level further down and undone if wrong). Every probe result is
// cached and checked against the earlier ones for monotonicity (a set that
// failed must not pass once more sites are added). Each set is confirmed and
// checked minimal (removing any one member makes the target pass; a probe
// of more sites than that which passed shows it without a run of its own). If the
// explicit universe does not reproduce the failure (sites appear or vanish
// between runs) it falls back to the suffix search for the remaining sets.
//
// Flakiness: with Config::count = N every probe runs N times. If the runs
// disagree, or a confirmation, minimality or monotonicity check contradicts
// what the search derived, the search ends kInconclusive with a one-line
// message and no sets. Every set reported failed in its confirmation, so it
// holds a real culprit. With count 1 nothing tells a run that passed by luck
// from a real pass: a flaky target can then still get a set with extra sites
// or miss a set (about 1 search in 10 at a 50-90% failure rate, against 1 in
// 6 for the suffix search); with count 3 none did in the tests. The adaptive
// mode (lib/stats) is the answer for flaky targets.
//
// Algorithm::kAuto (auto_search.h), the driver's default, runs the ID split
// and switches to the adaptive search when the target shows itself flaky.
//
// Algorithm::kAdaptive (adaptive.h) is that mode. It treats every run as a
// noisy test: a run fails at rate p when a culprit set is toggled and at a
// background rate q otherwise, with p and q unknown and estimated on the way
// (a grid over (p, q) with q <= p - 0.1, marginalized). It runs "n" and "y"
// until lib/stats' sequential test names the failing direction (or finds
// both rates the same: kNotSensitive, rates in the message). Then, with up
// to 128 candidate sites, it probes free subsets (explicit ID lists): the
// posterior (subset_posterior.h) weighs every hypothesis of at most two
// culprit sites (one site; two separate ones; two needed together) jointly
// with (p, q), and "nothing here changes the rate"; each probe is built
// site by site for the most expected information, a batch's probes each
// given the outcomes of the ones before it. A set is reported when the
// posterior that it is one of the culprit sets (ChangeSet::confidence)
// reaches 1 - (1 - Config::confidence) / 2 and a run of exactly it failed
// (the first run of a list of one or two sites is verbose); a pair is then
// checked minimal by runs of each member alone, weighed at the pair's own
// (p, q) (fails at p or only at q). The runs made so far stay
// evidence for the next set, searched with the found sets excluded.
// With more than 128 candidates, per set, it keeps a posterior over "which
// site completes the set" (sites in a fixed order; a probe toggles the
// sites settled so far plus a prefix of the rest, so it holds a culprit iff
// the culprit sits within the prefix, whatever the number of culprit sets)
// and over "nothing here changes the rate"; it picks each probe for the
// most expected information, and settles a site when its posterior reaches
// 1 - (1 - Config::confidence) / 2. Sites needed only together come out one
// at a time (the settled ones stay on). Once a site leads, the settled
// sites plus it are also run alone: failing at p rather than q (or the one
// rate of "not sensitive") makes them a set at once. A set is complete when
// it fails alone, with its first run of exactly it verbose and at least one
// failing; a set of two or more sites is then checked minimal (without any
// one member it must fail only at q). A set is reported with the product of
// its steps' posteriors (at least about Config::confidence). Either way the
// set is excluded and the search goes on until "no further set" reaches
// Config::confidence (a further set is assumed to fail at a rate like the
// first one's, 4:1, so a much rarer one can be missed). It never reports a
// set it has not settled:
// past Config::max_runs runs it ends kInconclusive, saying how many more runs
// would settle the step. Config::count is ignored (the search decides reruns
// itself); runs == probes. It asks for up to Config::parallelism runs at
// once (each picked for information given the others' outcomes; often
// reruns).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace timerbisect::search {

struct ProbeResult {
  bool failed = false;
  std::vector<std::uint64_t> reported;  // IDs whose markers the run printed (dedup not required)
  bool reused = false;    // an earlier run's result (RunPool), not a run made for this request
  bool replayed = false;  // the journal's record of an earlier session's run, not run now
};

// Runs the target once under `pattern` (a full bisect-protocol pattern,
// prefixes included): a target that runs one pattern at a time (tests,
// simulations); OneAtATime makes it the search's probe.
using Probe = std::function<ProbeResult(const std::string& pattern)>;

// Sent after every probe (a probe is Config::count runs of one pattern),
// and after every run of the default's reproduce check (`check`: probe is
// then the check's run number, and the other counts are 0).
struct ProgressEvent {
  int probe = 0;  // 1-based
  std::string pattern;
  bool failed = false;
  int sites_in_play = 0;          // candidates the current step chooses among
  int estimated_probes_left = 0;  // for the current set; a rough guide, not a bound
  bool check = false;             // a run of the reproduce check, not a search probe
  bool reused = false;    // every run of the probe was an earlier one, taken again (RunPool)
  bool replayed = false;  // every run of the probe came from the journal (ProbeResult::replayed)
};

// kAuto (auto_search.h): kIdSplit, then kAdaptive if the target shows
// itself flaky.
enum class Algorithm { kIdSplit, kSuffix, kAdaptive, kAuto };

// The search's one probe: runs the target once under each pattern, possibly
// in parallel; returns one result per pattern, in order, or fewer when it
// was stopped (interrupted). A search asks for up to Config::parallelism
// runs at once.
using BatchProbe =
    std::function<std::vector<ProbeResult>(const std::vector<std::string>& patterns)>;

// A batch probe that runs the patterns one after another through `probe`.
BatchProbe OneAtATime(Probe probe);

struct Result;

struct Config {
  Algorithm algorithm = Algorithm::kIdSplit;
  int count = 1;     // runs per probe; results must agree, else the search ends inconclusive
  int max_sets = 0;  // 0: find all sets
  // Go's -maxset: sets of more sites are not searched for; the search stops
  // where one would be needed (Result::more_not_searched). 0: no limit.
  int max_set_size = 0;
  std::function<void(const ProgressEvent&)> progress;  // optional
  // kAuto: one line saying what each step past the ID split does (optional).
  std::function<void(const std::string&)> notice;
  int parallelism = 1;  // runs asked for at once (--count reruns, kAuto's checks, kAdaptive)
  // kAdaptive (and kAuto's checks):
  double confidence = 0.99;  // posterior probability each verdict needs (set, direction, "no more")
  int max_runs = 0;          // budget of target runs; 0: 400
  // Optional: called each time a set is settled, with every set settled so
  // far (`sets`, `invert`; kAdaptive: `rates` too): kIdSplit and kSuffix once
  // its confirmation probe failed, kAdaptive once it is reported; kAuto's ID
  // split not at all (its sets wait for the reproduce check, and the search
  // ends with them), its adaptive step as kAdaptive. What an interrupted
  // search still has to say; a later contradiction can still take the sets
  // back in the Result.
  std::function<void(const Result& so_far)> settled;
  // The longest pattern that reaches the target (0: no limit; Linux caps
  // one environment string at 128 KiB). kIdSplit, whose patterns are
  // explicit ID lists, searches by hash suffixes as kSuffix does when the
  // list of every site would pass it (Go's compiler reports tens of
  // thousands of changes), saying so through `notice`.
  std::size_t max_pattern_bytes = 0;
};

struct ChangeSet {
  std::vector<std::uint64_t> ids;  // sorted
  std::string pattern;  // selects exactly this set in the search's direction (reproduce command)
  double confidence =
      0;  // kAdaptive: posterior probability the set is right; else 0 (not estimated)
};

// A failure rate kAdaptive measured: the runs of one pattern.
struct MeasuredRate {
  std::string pattern;  // "y", "n", or a set's pattern (its verbose runs counted too)
  int failures = 0;
  int runs = 0;
  double low = 0;  // Wilson interval at Config::confidence
  double high = 1;
};

enum class Outcome { kFound, kNotSensitive, kInconclusive };

struct Result {
  Outcome outcome = Outcome::kInconclusive;
  bool invert = false;              // true: failure needs the sets DISABLED (patterns carry '!')
  std::vector<ChangeSet> sets;      // only with kFound
  int runs = 0;                     // target runs used (count included)
  int probes = 0;                   // distinct probes (runs / count)
  std::string message;              // one line: why not sensitive / inconclusive
  bool agreed_failing = false;      // kNotSensitive: "n" and "y" both failed (else both passed)
  std::vector<MeasuredRate> rates;  // kAdaptive: "y" and "n", then one per set found
  // Config::max_set_size stopped the search: a further set (or, with no
  // sets, the failure) needs more sites than that. `message` says so.
  bool more_not_searched = false;
  // The probe answered short (the runs were stopped): the search ended
  // there, inconclusive, and no later step starts from it.
  bool interrupted = false;
};

Result Search(const Config& config, const BatchProbe& probe);

// Result::message when Config::max_set_size stopped a search: after some
// sets were found (the outcome stays kFound) or before any (kInconclusive).
std::string MaxSetStop(int max_set_size, bool found_some);

}  // namespace timerbisect::search
