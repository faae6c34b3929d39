// `timerbisect sites`: the listing of one watch-mode run, as text for people
// and JSON for tools: every site reached, per API, with counts and stacks,
// and the timers left armed or open at exit.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "report/site_reports.h"
#include "symbolize/symbolizer.h"

namespace timerbisect::report {

struct ListedSite {
  const SiteReport* report;
  std::vector<symbolize::SourceFrame> frames;
};

// A timer queue compiled into the program from headers (Boost.Asio,
// standalone Asio): no library symbol arms its timers, so the shim cannot
// interpose them; its site is the loop's timerfd or wait.
struct HeaderOnlyLoop {
  std::string library;  // "Boost.Asio", "Asio"
  std::uint64_t site;   // its first site in the listing
};

struct SitesListing {
  std::vector<std::string> command;
  std::vector<int> io_uring_pids;           // processes whose io_uring waits the shim cannot see
  std::vector<HeaderOnlyLoop> header_only;  // one per library (FindHeaderOnlyLoops)
  std::string result;  // the run's verdict: "pass", "exit 3", "signal SIGSEGV", "timeout"
  std::vector<ListedSite> sites;  // SortSites' order
  // Programs started without the shim (a cleared environment, a static
  // program): their timers are not in the listing.
  std::vector<std::string> dropped_execs;
  // Event-loop libraries compiled into the command's program, and the
  // sentence that says so (run::LinkedInLoopsSentence): their timers are
  // not sites.
  std::vector<std::string> linked_in_loops;
  std::string linked_in_note;
  std::chrono::milliseconds duration{0};  // the whole command
};

// A site bisect sees and can toggle, by the one definition both use: a
// timer object (its re-arms have the stale aspect whatever their length),
// or a wait that was short at least once (or whose counts are unknown). A
// wait that was always longer than the short threshold is no site: no
// mode changes it, and bisect's runs never report it.
bool IsBisectSite(const SiteReport& report);

// Grouped per API, busiest first: the order a reader scans for hot timers.
void SortSites(std::vector<ListedSite>& sites);

// Fills listing.header_only from the sites' frames (after SortSites).
void FindHeaderOnlyLoops(SitesListing& listing);

std::string FormatText(const SitesListing& listing);
nlohmann::json ToJson(const SitesListing& listing);

}  // namespace timerbisect::report
