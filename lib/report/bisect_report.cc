#include "report/bisect_report.h"

#include "protocol/marker.h"
#include "report/format.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace timerbisect::report {
namespace {

bool IsSystemPath(const std::string& path) {
  for (const char* dir :
       {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/include/", "/usr/local/include/"}) {
    if (path.starts_with(dir)) return true;
  }
  return false;
}

// A site whose program frames (outside system libraries and the shim)
// have no source line: the program was built without debug information,
// or stripped, and its stacks say only function names or offsets.
bool HasProgramFramesWithoutLines(const FoundSite& site) {
  if (FirstUserFrame(site.frames) >= 0) return false;
  for (const symbolize::SourceFrame& f : site.frames) {
    if (f.file.empty() && !f.module.empty() && !IsSystemPath(f.module) &&
        f.module.find("libtimerbisect") == std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

int FirstUserFrame(const std::vector<symbolize::SourceFrame>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const symbolize::SourceFrame& f = frames[i];
    if (f.file.empty() || IsSystemPath(f.file) || IsSystemPath(f.module)) continue;
    if (f.module.find("libtimerbisect") != std::string::npos) continue;
    return static_cast<int>(i);
  }
  return -1;
}

void PrintFrames(std::ostream& out, const std::vector<symbolize::SourceFrame>& frames,
                 std::size_t count, symbolize::FrameDetail detail, int first_user) {
  for (std::size_t i = 0; i < count && i < frames.size(); ++i) {
    out << "    #" << i << (frames[i].inlined ? " (inlined) " : " ")
        << symbolize::FormatFrame(frames[i], detail)
        << (static_cast<int>(i) == first_user ? "   <- first frame in your code" : "") << "\n";
  }
}

namespace {

// `detail`: for each site of the set, how much its frames print
// (symbolize::StacksDetail over the whole report).
void FormatSet(std::ostringstream& out, const FoundSet& set, std::size_t index, std::size_t total,
               const std::vector<symbolize::FrameDetail>& detail) {
  out << "\nset " << index + 1 << " of " << total << ": " << set.sites.size()
      << (set.sites.size() == 1 ? " site" : " sites");
  if (!set.mode.empty()) {
    out << " whose timers make the test fail under " << set.mode << " semantics";
    if (!set.aspects.empty()) out << " (aspect: " << Join(set.aspects, ", ") << ")";
  }
  if (set.confidence > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ", confidence %.3f", set.confidence);
    out << buf;
  }
  out << "\n";
  for (std::size_t s = 0; s < set.sites.size(); ++s) {
    const FoundSite& site = set.sites[s];
    out << "  site " << protocol::IdHex(site.id);
    if (!site.api.empty()) out << "  " << site.api;
    out << "\n";
    PrintFrames(out, site.frames, site.frames.size(), detail[s], FirstUserFrame(site.frames));
    for (const std::string& line : site.lines) out << "    " << line << "\n";
  }
  if (!set.reproduction.argv.empty()) {
    // The statistical search says how often the set's own runs failed:
    // every time, or only some of the time (run it more than once).
    std::string label = "  reproduce:\n";
    if (set.runs_of_set > 0 && set.failures_of_set < set.runs_of_set) {
      label = "  reproduce (a flaky failure: " + std::to_string(set.failures_of_set) + " of " +
              std::to_string(set.runs_of_set) + " runs of it failed; run it a few times):\n";
    } else if (set.runs_of_set > 0) {
      const std::string runs = set.runs_of_set == 1
                                   ? "its one run"
                                   : "all " + std::to_string(set.runs_of_set) + " runs of it";
      label = "  reproduce (" + runs + " failed):\n";
    } else if (set.confidence > 0 && set.confidence < 1.0) {
      label =
          "  reproduce (a flaky failure: this fails only as often as measured, not every run):\n";
    }
    out << label << "    " << ShellLine(set.reproduction) << "\n";
  }
}

// Every set; a site's frames print their columns (and offsets) when its
// stack prints like another site's without them.
void FormatSets(std::ostringstream& out, const std::vector<FoundSet>& sets) {
  std::vector<const std::vector<symbolize::SourceFrame>*> stacks;
  for (const FoundSet& set : sets) {
    for (const FoundSite& site : set.sites) stacks.push_back(&site.frames);
  }
  const std::vector<symbolize::FrameDetail> detail = symbolize::StacksDetail(stacks);
  auto first = detail.begin();
  for (std::size_t i = 0; i < sets.size(); ++i) {
    auto end = first + static_cast<std::ptrdiff_t>(sets[i].sites.size());
    FormatSet(out, sets[i], i, sets.size(), std::vector<symbolize::FrameDetail>(first, end));
    first = end;
  }
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kFound:
      return "found";
    case Outcome::kNotSensitive:
      return "not-timer-sensitive";
    case Outcome::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

std::string FormatText(const BisectReport& report) {
  std::ostringstream out;
  switch (report.outcome) {
    case Outcome::kFound:
      out << "timerbisect: found " << report.sets.size()
          << (report.sets.size() == 1 ? " set" : " sets");
      // Interrupted: the search's probe count is not known on that thread.
      if (report.interrupted) {
        out << " before the interrupt (" << report.runs << " runs)\n";
      } else {
        out << " (" << report.probes << " probes, " << report.runs << " runs)\n";
      }
      FormatSets(out, report.sets);
      for (const FoundSet& set : report.sets) {
        if (std::any_of(set.sites.begin(), set.sites.end(), HasProgramFramesWithoutLines)) {
          out << "\nnote: the program's frames above have no file:line (built without -g, or "
                 "stripped); rebuild it with -g to see the lines\n";
          break;
        }
      }
      // A search cut short (--max, --maxset) says where it stopped.
      if (!report.message.empty()) out << "timerbisect: " << report.message << "\n";
      break;
    case Outcome::kNotSensitive:
      out << "timerbisect: not timer-sensitive: " << report.message << "\n";
      break;
    case Outcome::kInconclusive:
      out << "timerbisect: inconclusive: " << report.message << "\n";
      break;
  }
  return out.str();
}

nlohmann::json BisectSetupErrorJson(const std::string& message,
                                    const std::vector<std::string>& command) {
  return {{"schema_version", kJsonSchemaVersion},
          {"outcome", "setup-error"},
          {"message", message},
          {"command", command},
          {"sets", nlohmann::json::array()}};
}

nlohmann::json ToJson(const BisectReport& report) {
  nlohmann::json sets = nlohmann::json::array();
  for (const FoundSet& set : report.sets) {
    nlohmann::json sites = nlohmann::json::array();
    for (const FoundSite& site : set.sites) {
      nlohmann::json frames = nlohmann::json::array();
      for (const auto& f : site.frames) frames.push_back(FrameJson(f));
      nlohmann::json one = {{"id", protocol::IdHex(site.id)},
                            {"frames", frames},
                            {"first_user_frame", FirstUserFrame(site.frames)},
                            {"lines", site.lines}};
      if (!site.api.empty()) one["api"] = site.api;  // shim sites only
      sites.push_back(std::move(one));
    }
    nlohmann::json one = {{"sites", sites},
                          {"confidence", set.confidence},
                          {"reproduce", ShellLine(set.reproduction)},
                          {"reproduction", ToJson(set.reproduction)}};
    if (set.runs_of_set > 0) {
      one["runs_of_set"] = set.runs_of_set;
      one["failures_of_set"] = set.failures_of_set;
    }
    if (!set.mode.empty()) one["mode"] = set.mode;  // shim targets only
    if (!set.mode.empty()) one["aspects"] = set.aspects;
    sets.push_back(std::move(one));
  }
  return {{"schema_version", kJsonSchemaVersion},
          {"outcome", report.interrupted ? "interrupted" : OutcomeName(report.outcome)},
          {"message", report.message},
          {"duration_ms", report.duration.count()},
          {"command", report.command},
          // An interrupted run has no probe count (the search's own).
          {"probes", report.interrupted ? nlohmann::json(nullptr) : nlohmann::json(report.probes)},
          {"runs", report.runs},
          {"sets", sets}};
}

}  // namespace timerbisect::report
