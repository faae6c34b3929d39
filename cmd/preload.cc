#include "preload.h"

#include <cstdlib>
#include <vector>

namespace timerbisect::cmd {
namespace {

constexpr std::string_view kShimFile = "libtimerbisect.so";

std::vector<std::string_view> Entries(std::string_view preload) {
  std::vector<std::string_view> entries;
  while (!preload.empty()) {
    std::size_t end = preload.find_first_of(": ");
    if (end != 0) entries.push_back(preload.substr(0, end));
    preload = end == std::string_view::npos ? "" : preload.substr(end + 1);
  }
  return entries;
}

bool IsShim(std::string_view entry) {
  std::size_t slash = entry.rfind('/');
  return (slash == std::string_view::npos ? entry : entry.substr(slash + 1)) == kShimFile;
}

}  // namespace

bool PreloadNamesShim(std::string_view preload) {
  for (std::string_view entry : Entries(preload)) {
    if (IsShim(entry)) return true;
  }
  return false;
}

std::string PreloadWithoutShim(std::string_view preload) {
  std::string rest;
  for (std::string_view entry : Entries(preload)) {
    if (IsShim(entry)) continue;
    if (!rest.empty()) rest += ':';
    rest += entry;
  }
  return rest;
}

std::string PreloadForRuns(const std::string& shim, std::string_view inherited) {
  std::string rest = PreloadWithoutShim(inherited);
  return rest.empty() ? shim : shim + ":" + rest;
}

std::string PreloadForRuns(const std::string& shim) {
  const char* inherited = std::getenv("LD_PRELOAD");
  return PreloadForRuns(shim, inherited == nullptr ? "" : inherited);
}

std::string ReplaceFirstPreload(std::string_view preload, const std::string& shim) {
  std::vector<std::string_view> entries = Entries(preload);
  std::string out = shim;
  for (std::size_t i = 1; i < entries.size(); ++i) (out += ':') += entries[i];
  return out;
}

}  // namespace timerbisect::cmd
