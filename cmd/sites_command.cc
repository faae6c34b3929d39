#include "sites_command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "output_file.h"
#include "preflight.h"
#include "protocol/duration.h"
#include "report/bisect_report.h"
#include "run/interrupt.h"
#include "site_frames.h"
#include "symbolize/symbolizer.h"
#include "target.h"

namespace timerbisect::cmd {
namespace {

constexpr int kExitUsage = report::kExitUsage;
// Frames shown per site in the text; the JSON has them all.
constexpr std::size_t kTextFrames = 8;

int UsageError(const std::string& message) {
  std::cerr << message << "\n";
  return kExitUsage;
}

std::string Hex(std::uint64_t id) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string Plural(std::uint64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

struct Site {
  const report::SiteReport* report;
  std::vector<symbolize::SourceFrame> frames;
};

// A site bisect sees and can toggle, by the one definition both use: a
// timer object (its re-arms have the stale aspect whatever their length),
// or a wait that was short at least once (or whose counts are unknown). A
// wait that was always longer than the short threshold is no site: no
// mode changes it, and bisect's runs never report it.
bool IsBisectSite(const report::SiteReport& r) {
  return !r.wait || !r.has_counters || r.counters.short_timeouts > 0;
}

struct Listing {
  std::vector<std::string> command;
  std::vector<int> io_uring_pids;  // processes whose io_uring waits the shim cannot see
  std::string result;       // the run's verdict: "pass", "exit 3", "signal SIGSEGV", "timeout"
  std::vector<Site> sites;  // by API, then most armed first
};

// Grouped per API, busiest first: the order a reader scans for hot timers.
void SortSites(std::vector<Site>& sites) {
  std::sort(sites.begin(), sites.end(), [](const Site& a, const Site& b) {
    const auto& x = *a.report;
    const auto& y = *b.report;
    if (x.api != y.api) return x.api < y.api;
    if (x.counters.arms != y.counters.arms) return x.counters.arms > y.counters.arms;
    return x.id < y.id;
  });
}

std::string OpenSummary(const report::OpenTimers& open) {
  std::string text;
  if (open.timerfds > 0) {
    text += Plural(open.timerfds, "timerfd") + " never closed (" +
            std::to_string(open.timerfds_armed) + " armed)";
  }
  if (open.posix_timers > 0) {
    if (!text.empty()) text += ", ";
    text += Plural(open.posix_timers, "POSIX timer") + " never deleted (" +
            std::to_string(open.posix_timers_armed) + " armed)";
  }
  return text;
}

std::string FormatText(const Listing& l) {
  std::ostringstream out;
  std::vector<const Site*> sites, long_waits;
  for (const Site& site : l.sites)
    (IsBisectSite(*site.report) ? sites : long_waits).push_back(&site);
  out << "timerbisect: " << Plural(sites.size(), "timer site") << " reached in one run ("
      << l.result << ")\n";
  bool any_uncounted = false;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const report::SiteReport& r = *sites[i]->report;
    if (i == 0 || sites[i - 1]->report->api != r.api) {
      std::size_t n = 0;
      while (i + n < sites.size() && sites[i + n]->report->api == r.api) ++n;
      out << "\n" << (r.api.empty() ? "(unknown API)" : r.api) << ": " << Plural(n, "site") << "\n";
    }
    out << "  site " << Hex(r.id);
    if (r.has_counters) {
      out << "  arms " << r.counters.arms << "  re-arms " << r.counters.rearms << "  short "
          << r.counters.short_timeouts << "\n";
    } else {
      out << "  (not counted)\n";
      any_uncounted = true;
    }
    const auto& frames = sites[i]->frames;
    for (std::size_t f = 0; f < frames.size() && f < kTextFrames; ++f) {
      out << "    #" << f << (frames[f].inlined ? " (inlined) " : " ")
          << symbolize::FormatFrame(frames[f]) << "\n";
    }
    if (frames.size() > kTextFrames) {
      out << "    ... " << Plural(frames.size() - kTextFrames, "more frame") << " (--json)\n";
    }
  }
  if (!long_waits.empty()) {
    out << "\n"
        << Plural(long_waits.size(), "more call site")
        << " only waited longer than the short threshold (--short): no mode changes such "
           "waits, so they are not sites (raise --short to include them):\n";
    for (const Site* w : long_waits) {
      out << "  " << w->report->api << " x" << w->report->counters.arms;
      if (!w->frames.empty()) out << "  at " << symbolize::FormatFrame(w->frames[0]);
      out << "\n";
    }
  }
  out << "\ntimers still armed or never closed at exit:\n";
  bool any_open = false;
  for (const Site& s : l.sites) {
    const report::SiteReport& r = *s.report;
    if (!r.open.any()) continue;
    any_open = true;
    out << "  site " << Hex(r.id) << "  " << r.api << ": " << OpenSummary(r.open) << "\n";
    if (!s.frames.empty()) out << "    at " << symbolize::FormatFrame(s.frames[0]) << "\n";
  }
  if (!any_open) out << "  none\n";
  for (int pid : l.io_uring_pids) {
    out << "\nnote: process " << pid
        << " used io_uring: its timeouts bypass libc, so they are not sites and no mode changes "
           "them\n";
  }
  if (any_uncounted) {
    out << "\nnote: sites marked (not counted) were reached only by processes that did not exit "
           "through exit() (_exit, exec, a crash, the timeout): their counts and open timers are "
           "unknown\n";
  }
  return out.str();
}

nlohmann::json FrameJson(const symbolize::SourceFrame& f) {
  return {{"function", f.function}, {"file", f.file},       {"line", f.line},
          {"column", f.column},     {"inlined", f.inlined}, {"module", f.module},
          {"offset", Hex(f.offset)}};
}

nlohmann::json OpenJson(const report::OpenTimers& o) {
  return {{"timerfds", o.timerfds},
          {"timerfds_armed", o.timerfds_armed},
          {"posix_timers", o.posix_timers},
          {"posix_timers_armed", o.posix_timers_armed}};
}

nlohmann::json ToJson(const Listing& l) {
  nlohmann::json sites = nlohmann::json::array();
  nlohmann::json open_at_exit = nlohmann::json::array();
  for (const Site& s : l.sites) {
    const report::SiteReport& r = *s.report;
    nlohmann::json frames = nlohmann::json::array();
    for (const auto& f : s.frames) frames.push_back(FrameJson(f));
    nlohmann::json site = {{"id", Hex(r.id)},
                           {"api", r.api},
                           {"counted", r.has_counters},
                           {"arms", r.counters.arms},
                           {"rearms", r.counters.rearms},
                           {"short", r.counters.short_timeouts},
                           {"bisect_site", IsBisectSite(r)},
                           {"open", OpenJson(r.open)},
                           {"frames", frames}};
    sites.push_back(site);
    if (r.open.any()) {
      open_at_exit.push_back(
          {{"id", Hex(r.id)}, {"api", r.api}, {"open", OpenJson(r.open)}, {"frames", frames}});
    }
  }
  return {{"command", l.command},
          {"result", l.result},
          {"io_uring_pids", l.io_uring_pids},
          {"sites", sites},
          {"open_at_exit", open_at_exit}};
}

}  // namespace

CLI::App* AddSitesCommand(CLI::App& app, SitesOptions& o) {
  CLI::App* sites = app.add_subcommand(
      "sites",
      "Run CMD once with native timer semantics and list every timer site it reaches, with "
      "counts, stacks, and the timers it left armed or open at exit");
  sites->add_option("command", o.command, "The command, after --")->expected(-1);
  sites->add_flag("--shell", o.shell, "Run the command through /bin/sh -c");
  sites->add_option("--json", o.json_path,
                    "Also write the listing as JSON to this file (-: stdout, the text to stderr)");
  sites->add_option("--scope", o.scope, "re2 regex: only sites with a matching frame count");
  sites->add_option("--depth", o.depth, "Frames per site ID, 1 to 64 (default 16)")
      ->check(CLI::Range(1, 64));
  sites->add_option("--short", o.short_threshold,
                    "Count timers at most this long as short (default 50us)");
  sites->add_option("--timeout", o.timeout,
                    "Stop the command after this long (30s, 1.5s, 1m30s, 2h; a bare number is "
                    "seconds; none); its processes then write no counts. Default: 10m");
  sites->add_option(
      "--shim", o.shim_path,
      "libtimerbisect.so to preload (default: $TIMERBISECT_SHIM, else found beside the "
      "timerbisect executable)");
  AddLauncherFlags(*sites, o.launcher);
  return sites;
}

int RunSites(const SitesOptions& o) {
  // 1. The same setup checks as bisect, before the run.
  if (o.command.empty()) {
    return UsageError("timerbisect: no command; usage: timerbisect sites [flags] -- CMD ARGS...");
  }
  TargetOptions t;
  t.argv = o.command;
  t.shell = o.shell;
  t.verbosity = 0;
  if (std::string error = ParseTimeoutFlag(o.timeout, t.timeout); !error.empty()) {
    return UsageError(error);
  }
  if (std::string error = CheckOutputPath("--json", o.json_path); !error.empty()) {
    return UsageError(error);
  }
  std::string error;
  ShimFlags flags;
  flags.depth = o.depth;
  flags.scope = o.scope;
  flags.short_threshold = o.short_threshold;
  if (!ShimEnvFromFlags(flags, t.shim_env, error)) return UsageError(error);
  if (error = PreflightShimTarget(o.command, o.shell, o.shim_path, t.shim_path); !error.empty()) {
    return UsageError(error);
  }
  auto classifier = run::FailureClassifier::Make({}, &error);
  if (!classifier) return UsageError(error);

  // 2. One run in watch mode: TIMERSEM=watch overrides the "native" that
  // an empty pattern sets (the last value of a variable wins).
  run::InterruptGuard interrupt_guard;
  std::unique_ptr<run::Launcher> launcher;
  if (error = MakeLauncher(o.launcher, t.shim_path, 0, launcher); !error.empty()) {
    return UsageError(error);
  }
  Target target(t, *launcher, *classifier);
  ProbeRecord record = target.Run("", {{"TIMERSEM", "watch"}});
  if (!target.start_error().empty()) return UsageError(target.start_error());
  if (std::string error = ShimNotReachedError(target.reports()); !error.empty()) {
    return UsageError(error);
  }

  // 3. The listing, symbolized.
  Listing listing;
  listing.command = o.command;
  listing.result = record.verdict.kind;
  const auto& io_uring = target.reports().io_uring_pids();
  listing.io_uring_pids.assign(io_uring.begin(), io_uring.end());
  symbolize::Symbolizer symbolizer;
  for (const auto& [id, site] : target.reports().sites()) {
    listing.sites.push_back({&site, SymbolizeSiteFrames(site, symbolizer)});
  }
  SortSites(listing.sites);
  (o.json_path == "-" ? std::cerr : std::cout) << FormatText(listing);
  if (!WriteOutput("--json", o.json_path, ToJson(listing).dump(2) + "\n")) {
    return report::kExitUsage;
  }
  return 0;
}

}  // namespace timerbisect::cmd
