#include "report/site_reports.h"

#include <cstdlib>

#include <algorithm>
#include <charconv>
#include <iterator>

#include "protocol/marker.h"
#include "protocol/shim_lines.h"

namespace timerbisect::report {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "MODULE+0xOFFSET" -> the frame's module and offset.
bool ParseLocation(std::string_view location, ReportedFrame& frame) {
  auto plus = location.rfind("+0x");
  if (plus == std::string_view::npos || plus == 0) return false;
  std::string_view hex = location.substr(plus + 3);
  std::uint64_t offset = 0;
  auto [q, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), offset, 16);
  if (ec != std::errc() || q != hex.data() + hex.size() || hex.empty()) return false;
  frame.module = std::string(location.substr(0, plus));
  frame.offset = offset;
  return true;
}

// "#N MODULE+0xOFFSET SYMBOL" -> frame N. The module's path may hold
// spaces (a CI workspace "/builds/my project/"); a symbol, as the ELF table
// spells it, holds none, and the shim writes the space before it even when
// it is empty. So the symbol is what follows the last space when what comes
// before is a location.
bool ParseFrame(std::string_view text, int& index, ReportedFrame& frame) {
  if (text.empty() || text[0] != '#') return false;
  text.remove_prefix(1);
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || p == text.data() || index < 0 || index > 1024) return false;
  text.remove_prefix(static_cast<std::size_t>(p - text.data()));
  if (text.empty() || text[0] != ' ') return false;
  text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  if (auto space = text.rfind(' ');
      space != std::string_view::npos && ParseLocation(text.substr(0, space), frame)) {
    frame.symbol = std::string(text.substr(space + 1));
    return true;
  }
  if (!ParseLocation(Trim(text), frame)) return false;
  frame.symbol.clear();
  return true;
}

// "KEY=N" in `text` as a number; false if absent or not a number.
bool NumberAfter(std::string_view text, std::string_view key, std::uint64_t& value) {
  for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    if (at != 0 && text[at - 1] != ' ') continue;  // "rearms=" is not "arms="
    std::string_view digits = text.substr(at + key.size());
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return ec == std::errc() && p != digits.data();
  }
  return false;
}

// "arms=N rearms=N short=N", added to the site's counters.
bool ParseStats(std::string_view text, SiteReport& site) {
  SiteCounters c;
  if (!NumberAfter(text, "arms=", c.arms) || !NumberAfter(text, "rearms=", c.rearms) ||
      !NumberAfter(text, "short=", c.short_timeouts)) {
    return false;
  }
  site.has_counters = true;
  site.counters.arms += c.arms;
  site.counters.rearms += c.rearms;
  site.counters.short_timeouts += c.short_timeouts;
  return true;
}

// "timerfd armed=0|1" or "posix_timer armed=0|1", counted in the site.
bool ParseOpen(std::string_view text, SiteReport& site) {
  std::uint64_t armed = 0;
  if (!NumberAfter(text, "armed=", armed) || armed > 1) return false;
  if (text.starts_with("timerfd ")) {
    ++site.open.timerfds;
    site.open.timerfds_armed += static_cast<int>(armed);
    return true;
  }
  if (text.starts_with("posix_timer ")) {
    ++site.open.posix_timers;
    site.open.posix_timers_armed += static_cast<int>(armed);
    return true;
  }
  return false;
}

}  // namespace

std::set<std::string> ReportCollector::dropped_execs() const {
  std::set<std::string> texts;
  for (const DroppedExec& dropped : dropped_execs_) texts.insert(dropped.text);
  return texts;
}

void ReportCollector::Add(std::string_view text) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    AddLine(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

void ReportCollector::AddLine(std::string_view line) {
  if (line.starts_with(protocol::kShimActiveLine)) {
    shim_announced_ = true;
    return;
  }
  if (line.starts_with(protocol::kOutsideScopeLine)) {
    reached_out_of_scope_ = true;
    return;
  }
  constexpr std::string_view kPid = "pid=";
  if (line.starts_with(protocol::kIoUringLine)) {
    std::string_view rest = line.substr(protocol::kIoUringLine.size());
    if (!rest.starts_with(kPid)) return;
    io_uring_pids_.insert(std::atoi(std::string(rest.substr(kPid.size())).c_str()));
    return;
  }
  if (line.starts_with(protocol::kExecFailedLine)) {
    // "pid=N exec=PATH": voids the last report of that exec by that process.
    std::string_view rest = line.substr(protocol::kExecFailedLine.size());
    auto exec = rest.find(" exec=");
    if (!rest.starts_with(kPid) || exec == std::string_view::npos) return;
    std::string key = std::string(rest.substr(kPid.size(), exec - kPid.size())) + " " +
                      std::string(rest.substr(exec + 6));
    for (auto it = dropped_execs_.rbegin(); it != dropped_execs_.rend(); ++it) {
      if (it->pid_and_path == key) {
        dropped_execs_.erase(std::next(it).base());
        break;
      }
    }
    return;
  }
  if (line.starts_with(protocol::kShimDroppedLine)) {
    // "exec=PATH[ missing=A,B][ changed=C]" or "exec=PATH static=1": PATH
    // may hold spaces, so it ends where the first list begins.
    std::string_view rest = line.substr(protocol::kShimDroppedLine.size());
    auto exec = rest.find("exec=");
    auto missing = rest.find(" missing="), changed = rest.find(" changed="),
         is_static = rest.rfind(" static=1");
    auto path_end = std::min({missing, changed, is_static});
    if (exec == std::string_view::npos || path_end == std::string_view::npos || path_end < exec) {
      return;
    }
    auto list = [&](std::size_t at, std::size_t key_size) {
      std::string_view text = rest.substr(at + key_size);
      return std::string(text.substr(0, text.find(' ')));
    };
    std::string why;
    if (missing != std::string_view::npos) why = "missing " + list(missing, 9);
    if (changed != std::string_view::npos) {
      why += (why.empty() ? "" : "; ") + std::string("changed ") + list(changed, 9);
    }
    if (why.empty() && is_static != std::string_view::npos) {
      why = "a static program, which LD_PRELOAD cannot load the shim into";
    }
    std::string path(rest.substr(exec + 5, path_end - exec - 5));
    std::string pid;
    if (rest.starts_with(kPid)) {
      pid = std::string(rest.substr(kPid.size(), rest.find(' ') - kPid.size()));
    }
    dropped_execs_.push_back({pid + " " + path, path + " (" + why + ")"});
    return;
  }
  auto cut = protocol::CutMarker(line);
  if (!cut.found) return;
  SiteReport& site = sites_[cut.id];
  site.id = cut.id;
  std::string rest_storage = cut.Short();
  std::string_view rest = Trim(rest_storage);
  constexpr std::string_view kSite = "timerbisect site ";
  if (rest.starts_with(kSite)) {
    rest.remove_prefix(kSite.size());
    site.api = std::string(rest.substr(0, rest.find(' ')));
    if (auto m = rest.find("mode="); m != std::string_view::npos) {
      std::string_view mode = rest.substr(m + 5);
      site.mode = std::string(mode.substr(0, mode.find(' ')));
    }
    if (auto k = rest.find("kind="); k != std::string_view::npos) {
      site.wait = rest.substr(k + 5).starts_with("wait");
    }
    site.callback_first = rest.find(" caller=callback") != std::string_view::npos;
    return;
  }
  // Watch mode's exit lines: every process writes its own, so they add up.
  constexpr std::string_view kStats = "timerbisect stats ";
  constexpr std::string_view kOpen = "timerbisect open ";
  if (rest.starts_with(kStats) && ParseStats(rest.substr(kStats.size()), site)) return;
  if (rest.starts_with(kOpen) && ParseOpen(rest.substr(kOpen.size()), site)) return;
  int index = 0;
  ReportedFrame frame;
  // From the untrimmed line: the space after a frame's location counts.
  std::string_view frame_text = rest_storage;
  frame_text.remove_prefix(std::min(frame_text.size(), frame_text.find_first_not_of(" \t")));
  if (ParseFrame(frame_text, index, frame)) {
    // Each process of a probe reports the same frames; keep one copy.
    if (static_cast<std::size_t>(index) == site.frames.size()) site.frames.push_back(frame);
    return;
  }
  if (!rest.empty() && std::find(site.lines.begin(), site.lines.end(), rest) == site.lines.end()) {
    site.lines.emplace_back(rest);
  }
}

std::set<std::uint64_t> ReportCollector::Ids() const {
  std::set<std::uint64_t> ids;
  for (const auto& [id, site] : sites_) ids.insert(id);
  return ids;
}

}  // namespace timerbisect::report
