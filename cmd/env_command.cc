#include "env_command.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exit_codes.h"
#include "preload.h"
#include "protocol/pattern.h"
#include "report/bisect_report.h"
#include "report/format.h"
#include "report/reproduction.h"
#include "shim_locator.h"

namespace timerbisect::cmd {
namespace {

using EnvLines = std::vector<std::pair<std::string, std::string>>;

int UsageError(const std::string& message) {
  std::cerr << message << "\n";
  return kExitUsage;
}

// "0x65a,1f3" -> IDs; also the pattern form of reproduce lines and match
// reports, "x65a+x1f3" (a leading '+' too). Nothing on anything else.
// Each ID as typed, as a suffix of its hex digits' width: a shorter one
// (x087, copied from a shortened report) selects every site whose ID ends
// in those digits, as the same text does in TIMERSEM; it used to be read
// as the full ID 0x0000000000000087, which selects no site.
std::optional<std::vector<protocol::Suffix>> ParseIds(std::string_view text) {
  std::vector<protocol::Suffix> ids;
  if (text.starts_with('+')) text.remove_prefix(1);
  while (true) {
    auto sep = text.find_first_of(",+");
    std::string_view word = text.substr(0, sep);
    if (word.starts_with("0x") || word.starts_with("0X")) {
      word.remove_prefix(2);
    } else if (word.starts_with('x')) {
      word.remove_prefix(1);
    }
    std::uint64_t id = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), id, 16);
    if (word.empty() || word.size() > 16 || ec != std::errc() || p != word.data() + word.size()) {
      return std::nullopt;
    }
    ids.push_back({id, static_cast<int>(word.size()) * 4});
    if (sep == std::string_view::npos) return ids;
    text.remove_prefix(sep + 1);
  }
}

// The environment of set `set_text` (from 1) of a bisect --json file: its
// "reproduction" data, or one error line.
base::Expected<report::Reproduction> EnvFromJson(const std::string& path,
                                                 const std::string& set_text) {
  using Result = base::Expected<report::Reproduction>;
  const std::string prefix = "timerbisect: --from-json " + path + ": ";
  std::ifstream in(path);
  if (!in) return Result::Fail(prefix + "cannot read it");
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return Result::Fail(prefix + "not JSON; expected the file `timerbisect --json` wrote");
  // `timerbisect triage --json` nests the bisect result under "bisect"
  // (null when it did not bisect).
  if (doc.is_object() && !doc.contains("sets") && doc.contains("bisect")) {
    if (!doc["bisect"].is_object()) {
      return Result::Fail(prefix + "a triage result that did not bisect (verdict: " +
                          doc.value("verdict", std::string("unknown")) + "): no sets to reproduce");
    }
    doc = nlohmann::json(doc["bisect"]);
  }
  if (!doc.is_object() || !doc.contains("sets") || !doc["sets"].is_array()) {
    return Result::Fail(
        prefix +
        "no \"sets\" array; expected the file `timerbisect --json` or `timerbisect triage "
        "--json` wrote");
  }
  const nlohmann::json& sets = doc["sets"];
  if (sets.empty()) {
    std::string outcome = doc.value("outcome", std::string("unknown"));
    return Result::Fail(prefix + "no sets to reproduce (outcome: " + outcome + ")");
  }
  std::size_t set = 1;
  if (!set_text.empty()) {
    auto [p, ec] = std::from_chars(set_text.data(), set_text.data() + set_text.size(), set);
    if (ec != std::errc() || p != set_text.data() + set_text.size() || set == 0) {
      return Result::Fail("timerbisect: --set " + set_text + ": expected a set number from 1");
    }
  }
  if (set > sets.size()) {
    return Result::Fail(prefix + "no set " + std::to_string(set) + " (it has " +
                        std::to_string(sets.size()) + ")");
  }
  const nlohmann::json& chosen = sets[set - 1];
  const std::string which = "set " + std::to_string(set);
  if (!chosen.is_object() || !chosen.contains("reproduction")) {
    return Result::Fail(
        prefix + which +
        " has no \"reproduction\" (a file from a timerbisect before 0.3: run the bisection "
        "again, or copy its reproduce line)");
  }
  auto reproduction = report::ReproductionFromJson(chosen["reproduction"]);
  if (!reproduction)
    return Result::Fail(prefix + which + "'s \"reproduction\": " + reproduction.error());
  if (reproduction->env.empty()) {
    return Result::Fail(prefix + which + "'s reproduction sets no variables");
  }
  return *reproduction;
}

}  // namespace

CLI::App* AddEnvCommand(CLI::App& app, EnvOptions& o) {
  CLI::App* env = app.add_subcommand(
      "env", "Print the export lines that run a command under chosen timer semantics by hand");
  env->footer(
      "Exit codes: 0 printed, 2 a bad flag or --from-json file.\n\n"
      "Environment:\n"
      "  TIMERBISECT_SHIM  the shim the lines preload when --shim is not given");
  env->add_option("--mode", o.mode,
                  "old or new (default): every site, or the --sites, get this mode");
  env->add_option("--sites", o.sites,
                  "Site IDs (hex) that get --mode, all others the opposite, separated by "
                  "commas (0x738d0fac8b73b087,0x1f3) or in the pattern form of reproduce lines "
                  "(x738d0fac8b73b087+x1f3); fewer than 16 digits are a suffix");
  env->add_option("--from-json", o.from_json, "Reproduce a set found by `timerbisect --json FILE`");
  env->add_option("--set", o.set, "Which set of --from-json, from 1 (default 1)");
  env->add_option("--shim", o.shim_path,
                  "libtimerbisect.so to preload (default: $TIMERBISECT_SHIM, else found beside the "
                  "timerbisect executable)");
  return env;
}

int RunEnv(const EnvOptions& o) {
  EnvLines env;
  std::vector<std::string> launcher;
  if (!o.from_json.empty()) {
    if (!o.mode.empty() || !o.sites.empty()) {
      return UsageError(
          "timerbisect: --from-json takes the mode and sites from the file; drop "
          "--mode and --sites");
    }
    auto from_json = EnvFromJson(o.from_json, o.set);
    if (!from_json) return UsageError(from_json.error());
    env = from_json->env;
    launcher = from_json->launcher;
    // --shim replaces the path the bisection used.
    if (!o.shim_path.empty()) {
      auto shim = LocateShim(o.shim_path);
      if (!shim) return UsageError(shim.error());
      bool replaced = false;
      for (auto& [name, value] : env) {
        if (name == "LD_PRELOAD") value = ReplaceFirstPreload(value, *shim), replaced = true;
      }
      if (!replaced) {
        return UsageError("timerbisect: --shim: the set of " + o.from_json +
                          " was not found with the shim (its reproduce command has no LD_PRELOAD)");
      }
    }
  } else {
    if (!o.set.empty()) return UsageError("timerbisect: --set needs --from-json FILE");
    std::string mode = o.mode.empty() ? "new" : o.mode;
    if (mode != "old" && mode != "new") {
      return UsageError("timerbisect: --mode " + o.mode + ": expected old or new");
    }
    std::string timersem = mode;
    if (!o.sites.empty()) {
      auto ids = ParseIds(o.sites);
      if (!ids) {
        return UsageError("timerbisect: --sites " + o.sites +
                          ": expected hexadecimal site IDs separated by commas, e.g. 0x65a,0x1f3");
      }
      // Under mode#PATTERN the pattern's sites get `mode`, all others the
      // opposite one (docs/DESIGN.md, "The toggle protocol").
      if (std::any_of(ids->begin(), ids->end(),
                      [](const protocol::Suffix& s) { return s.width < 64; })) {
        std::cerr << "timerbisect: --sites: an ID of fewer than 16 hex digits is a suffix: it "
                     "selects every site whose ID ends in those digits, as in TIMERSEM\n";
      }
      protocol::PatternSpec spec{false, false, std::move(*ids), {}};
      timersem += "#" + protocol::BuildPattern(spec);
    }
    auto shim = LocateShim(o.shim_path);
    if (!shim) return UsageError(shim.error());
    env.emplace_back("LD_PRELOAD", PreloadForRuns(*shim));
    env.emplace_back("TIMERSEM", timersem);
  }
  if (!launcher.empty()) {
    // Comment lines, so the output can still be eval'd.
    std::string words;
    for (const std::string& word : launcher) words += " " + report::ShellQuote(word);
    std::cout << "# the probes ran behind --launcher; to run where they ran, use the set's\n"
              << "# reproduce line, or:" << words << " env VAR=... CMD\n";
  }
  for (const auto& [name, value] : env) {
    std::cout << "export " << report::ShellAssignment(name, value) << "\n";
  }
  return 0;
}

}  // namespace timerbisect::cmd
