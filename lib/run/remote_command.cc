#include "run/remote_command.h"

#include <map>

namespace timerbisect::run {

std::vector<std::string> RemoteCommand(const ProbeSpec& spec, const std::string& report) {
  std::vector<std::string> argv = {"env"};
  std::map<std::string, std::size_t> position;  // name -> index in argv
  bool report_set = false;
  for (const auto& [name, value] : spec.env) {
    report_set |= name == "TIMERSEM_REPORT";
    auto [it, fresh] = position.emplace(name, argv.size());
    if (fresh) {
      argv.push_back(name + "=" + value);
    } else {
      argv[it->second] = name + "=" + value;
    }
  }
  if (!report_set && !report.empty()) argv.push_back("TIMERSEM_REPORT=" + report);
  if (spec.shell) {
    std::string script;
    for (const std::string& word : spec.argv) script += (script.empty() ? "" : " ") + word;
    argv.insert(argv.end(), {"/bin/sh", "-c", script});
  } else {
    argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  }
  return argv;
}

bool IsShimLine(std::string_view line) {
  return line.find("[bisect-match ") != std::string_view::npos || line.starts_with("timerbisect: ");
}

void SeparateReports(ProbeOutput& out) {
  std::string kept;
  std::string_view rest = out.output;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    if (line.starts_with(kReportLinePrefix)) {
      out.report.append(line.substr(sizeof kReportLinePrefix - 1));
      if (line.back() != '\n') out.report += '\n';
    } else if (IsShimLine(line)) {
      out.report.append(line);
      if (line.back() != '\n') out.report += '\n';
    } else {
      kept.append(line);
    }
  }
  out.output = std::move(kept);
}

}  // namespace timerbisect::run
