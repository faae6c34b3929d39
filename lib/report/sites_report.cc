#include "report/sites_report.h"

#include "report/bisect_report.h"  // kJsonSchemaVersion

#include <algorithm>
#include <sstream>
#include <string_view>

#include "base/words.h"
#include "protocol/marker.h"
#include "report/format.h"

namespace timerbisect::report {

bool IsBisectSite(const SiteReport& r) {
  return !r.wait || !r.has_counters || r.counters.short_timeouts > 0;
}

void SortSites(std::vector<ListedSite>& sites) {
  std::sort(sites.begin(), sites.end(), [](const ListedSite& a, const ListedSite& b) {
    const auto& x = *a.report;
    const auto& y = *b.report;
    if (x.api != y.api) return x.api < y.api;
    if (x.counters.arms != y.counters.arms) return x.counters.arms > y.counters.arms;
    return x.id < y.id;
  });
}

namespace {

// The header-only timer queue whose frames `frames` show, or "".
std::string HeaderOnlyLibrary(const std::vector<symbolize::SourceFrame>& frames) {
  for (const auto& f : frames) {
    if (f.function.find("boost::asio::") != std::string::npos) return "Boost.Asio";
    if (f.function.rfind("asio::", 0) == 0) return "Asio";
  }
  return "";
}

// Frames shown per site in the text, or up to the first frame in the
// program's own code where that is deeper (a std:: wait can be nine frames
// of libstdc++ deep); the JSON has them all.
constexpr std::size_t kTextFrames = 8;

// The frame a one-line mention of a site shows: the first in the program's
// own code, else the innermost (libstdc++'s sleep_for says nothing of
// which call slept).
const symbolize::SourceFrame& MentionedFrame(const std::vector<symbolize::SourceFrame>& frames) {
  int user = FirstUserFrame(frames);
  return frames[user >= 0 ? static_cast<std::size_t>(user) : 0];
}

std::string OpenSummary(const OpenTimers& open) {
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

nlohmann::json OpenJson(const OpenTimers& o) {
  return {{"timerfds", o.timerfds},
          {"timerfds_armed", o.timerfds_armed},
          {"posix_timers", o.posix_timers},
          {"posix_timers_armed", o.posix_timers_armed}};
}

}  // namespace

void FindHeaderOnlyLoops(SitesListing& listing) {
  for (const ListedSite& site : listing.sites) {
    std::string library = HeaderOnlyLibrary(site.frames);
    if (library.empty()) continue;
    if (std::none_of(listing.header_only.begin(), listing.header_only.end(),
                     [&](const HeaderOnlyLoop& l) { return l.library == library; })) {
      listing.header_only.push_back({library, site.report->id});
    }
  }
}

std::string FormatText(const SitesListing& l) {
  std::ostringstream out;
  std::vector<const ListedSite*> sites, long_waits;
  for (const ListedSite& site : l.sites)
    (IsBisectSite(*site.report) ? sites : long_waits).push_back(&site);
  out << "timerbisect: " << Plural(sites.size(), "timer site") << " reached in one run ("
      << l.result << ")\n";
  bool any_uncounted = false;
  // Frames print their columns (and offsets) where two sites' stacks print
  // alike.
  std::vector<const std::vector<symbolize::SourceFrame>*> stacks;
  for (const ListedSite& site : l.sites) stacks.push_back(&site.frames);
  const std::vector<symbolize::FrameDetail> details = symbolize::StacksDetail(stacks);
  auto detail = [&](const ListedSite* site) {
    return details[static_cast<std::size_t>(site - l.sites.data())];
  };
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const SiteReport& r = *sites[i]->report;
    if (i == 0 || sites[i - 1]->report->api != r.api) {
      std::size_t n = 0;
      while (i + n < sites.size() && sites[i + n]->report->api == r.api) ++n;
      out << "\n" << (r.api.empty() ? "(unknown API)" : r.api) << ": " << Plural(n, "site") << "\n";
    }
    out << "  site " << protocol::IdHex(r.id);
    if (r.has_counters) {
      out << "  arms " << r.counters.arms << "  re-arms " << r.counters.rearms << "  short "
          << r.counters.short_timeouts << "\n";
    } else {
      out << "  (not counted)\n";
      any_uncounted = true;
    }
    const auto& frames = sites[i]->frames;
    const int user = FirstUserFrame(frames);
    const std::size_t shown =
        std::min(frames.size(), std::max(kTextFrames, static_cast<std::size_t>(user + 1)));
    PrintFrames(out, frames, shown, detail(sites[i]), user);
    if (frames.size() > shown) {
      out << "    ... " << Plural(frames.size() - shown, "more frame") << " (--json)\n";
    }
  }
  if (!long_waits.empty()) {
    out << "\n"
        << Plural(long_waits.size(), "more call site")
        << " only waited longer than the short threshold (--short): no mode changes such "
           "waits, so they are not sites (raise --short to include them):\n";
    for (const ListedSite* w : long_waits) {
      out << "  " << w->report->api << " x" << w->report->counters.arms;
      if (!w->frames.empty()) out << "  at " << symbolize::FormatFrame(MentionedFrame(w->frames));
      out << "\n";
    }
  }
  out << "\ntimers still armed or never closed at exit:\n";
  bool any_open = false;
  for (const ListedSite& s : l.sites) {
    const SiteReport& r = *s.report;
    if (!r.open.any()) continue;
    any_open = true;
    out << "  site " << protocol::IdHex(r.id) << "  " << r.api << ": " << OpenSummary(r.open)
        << "\n";
    if (!s.frames.empty()) {
      out << "    at " << symbolize::FormatFrame(MentionedFrame(s.frames), detail(&s)) << "\n";
    }
  }
  if (!any_open) {
    // With uncounted sites the open timers of their processes are unknown.
    out << (any_uncounted ? "  none known (some sites were not counted: see the note below)\n"
                          : "  none\n");
  }
  if (!l.io_uring_pids.empty()) {
    // One note for every such process: a test runner starts many (libuv's
    // printed ten), and io_uring itself is no timer (libuv uses it for files).
    std::vector<std::string> pids;
    for (int pid : l.io_uring_pids) pids.push_back(std::to_string(pid));
    out << "\nnote: " << (pids.size() == 1 ? "process " : "processes ") << base::ListInProse(pids)
        << " used io_uring: a timeout given to io_uring (IORING_OP_TIMEOUT, a wait for "
           "completions with a timeout) bypasses libc, so it is no site and no mode changes it; "
           "their other timers are sites as usual\n";
  }
  for (const HeaderOnlyLoop& loop : l.header_only) {
    const bool vowel = std::string_view("AEIOU").find(loop.library[0]) != std::string_view::npos;
    out << "\nnote: " << (vowel ? "an " : "a ") << loop.library << " loop was seen (site "
        << protocol::IdHex(loop.site)
        << "): its timers are a header-only timer queue compiled into the program, which the "
           "shim cannot interpose; its site is the loop's timerfd or wait, and the stack shows "
           "which line built the loop\n";
  }
  if (!l.linked_in_note.empty()) out << "\nnote: " << l.linked_in_note << "\n";
  for (const std::string& exec : l.dropped_execs) {
    out << "\nnote: the shim was dropped when " << exec
        << " was started (a cleared environment, or a program LD_PRELOAD cannot reach): its "
           "timer sites are not listed; pass LD_PRELOAD and TIMERSEM* through to it\n";
  }
  if (any_uncounted) {
    out << "\nnote: sites marked (not counted) were reached only by processes that did not exit "
           "through exit() (_exit, exec, a crash, the timeout): their counts and open timers are "
           "unknown\n";
  }
  return out.str();
}

nlohmann::json ToJson(const SitesListing& l) {
  nlohmann::json sites = nlohmann::json::array();
  nlohmann::json open_at_exit = nlohmann::json::array();
  for (const ListedSite& s : l.sites) {
    const SiteReport& r = *s.report;
    nlohmann::json frames = nlohmann::json::array();
    for (const auto& f : s.frames) frames.push_back(FrameJson(f));
    nlohmann::json site = {{"id", protocol::IdHex(r.id)},
                           {"api", r.api},
                           {"counted", r.has_counters},
                           {"arms", r.counters.arms},
                           {"rearms", r.counters.rearms},
                           {"short", r.counters.short_timeouts},
                           {"bisect_site", IsBisectSite(r)},
                           {"open", OpenJson(r.open)},
                           {"frames", frames},
                           {"first_user_frame", FirstUserFrame(s.frames)}};
    sites.push_back(site);
    if (r.open.any()) {
      open_at_exit.push_back({{"id", protocol::IdHex(r.id)},
                              {"api", r.api},
                              {"open", OpenJson(r.open)},
                              {"frames", frames}});
    }
  }
  nlohmann::json header_only = nlohmann::json::array();
  for (const HeaderOnlyLoop& loop : l.header_only) {
    header_only.push_back({{"library", loop.library}, {"site", protocol::IdHex(loop.site)}});
  }
  return {{"schema_version", kJsonSchemaVersion},
          {"duration_ms", l.duration.count()},
          {"command", l.command},
          {"result", l.result},
          {"dropped_execs", l.dropped_execs},
          {"io_uring_pids", l.io_uring_pids},
          {"header_only_timer_queues", header_only},
          {"linked_in_loop_libraries", l.linked_in_loops},
          {"sites", sites},
          {"open_at_exit", open_at_exit}};
}

}  // namespace timerbisect::report
