#include "preflight.h"

#include <re2/re2.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <tuple>

#include "protocol/duration.h"
#include "run/preflight.h"
#include "shim_locator.h"

namespace timerbisect::cmd {

namespace {

// The shim's variables and the flags that set them.
struct ShimSetting {
  const char* flag;
  const char* var;
};
constexpr ShimSetting kAspects{"--aspects", "TIMERSEM_ASPECTS"},
    kDepth{"--depth", "TIMERSEM_DEPTH"}, kScope{"--scope", "TIMERSEM_SCOPE"},
    kShort{"--short", "TIMERSEM_SHORT"}, kLag{"--lag", "TIMERSEM_LAG"};

// What to do about a variable of the environment: "; unset it or give
// --lag" (without the flag where the subcommand has none).
std::string UnsetOrGive(const ShimFlags& f, ShimSetting s) {
  const bool offered = f.aspects_and_lag_flags || (std::string_view(s.var) != kAspects.var &&
                                                   std::string_view(s.var) != kLag.var);
  return std::string("; unset it") + (offered ? " or give " + std::string(s.flag) : "");
}

// "timerbisect: --lag abc: WHY", or for a value from the environment
// "timerbisect: TIMERSEM_LAG=abc, set in the environment: WHY; unset it or
// give --lag".
std::string BadValue(const ShimFlags& f, ShimSetting s, const std::string& value,
                     const std::string& why) {
  for (const std::string& var : f.before_command) {
    if (var == s.var) {
      return "timerbisect: " + var + "=" + value + ", before the command: " + why + "; remove it" +
             UnsetOrGive(f, s).substr(std::string("; unset it").size());
    }
  }
  for (const std::string& var : f.from_environment) {
    if (var == s.var) {
      return "timerbisect: " + var + "=" + value + ", set in the environment: " + why +
             UnsetOrGive(f, s);
    }
  }
  return "timerbisect: " + std::string(s.flag) + " " + value + ": " + why;
}

// `text` with each control character as \xNN.
std::string WithControlsEscaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
      continue;
    }
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\x%02x", static_cast<unsigned char>(c));
    out += escaped;
  }
  return out;
}

}  // namespace

bool IsShimSettingVariable(std::string_view name) {
  for (const ShimSetting& s : {kAspects, kDepth, kScope, kShort, kLag}) {
    if (name == s.var) return true;
  }
  return false;
}

base::Expected<std::vector<std::string>> AdoptInheritedShimSettings(ShimFlags& f) {
  using Result = base::Expected<std::vector<std::string>>;
  std::vector<std::string> taken;
  auto take = [&](ShimSetting s, std::string& field) {
    const char* value = std::getenv(s.var);
    if (!field.empty() || value == nullptr || *value == '\0') return;
    field = value;
    f.from_environment.push_back(s.var);
    taken.push_back(std::string(s.var) + "=" + value + " (" + s.flag + ")");
  };
  for (const auto& [s, given] :
       {std::pair{kDepth, f.depth != 0}, std::pair{kShort, !f.short_threshold.empty()},
        std::pair{kLag, !f.lag.empty()}}) {
    const char* value = std::getenv(s.var);
    if (!given && value != nullptr && *value == '\0') {
      return Result::Fail("timerbisect: " + std::string(s.var) +
                          " is set but empty in the environment, which the shim refuses" +
                          UnsetOrGive(f, s));
    }
  }
  take(kAspects, f.aspects);
  if (const char* value = std::getenv(kDepth.var); value != nullptr && f.depth == 0) {
    char* end = nullptr;
    long depth = std::strtol(value, &end, 10);
    f.from_environment.push_back(kDepth.var);
    // Digits only, as the shim takes them (strtol also takes a space or sign).
    if (*value < '0' || *value > '9' || *end != '\0' || depth < 1 || depth > 64) {
      return Result::Fail(BadValue(f, kDepth, value, "expected a number of frames from 1 to 64"));
    }
    f.depth = static_cast<int>(depth);
    taken.push_back(std::string(kDepth.var) + "=" + value + " (" + kDepth.flag + ")");
  }
  take(kScope, f.scope);
  take(kShort, f.short_threshold);
  take(kLag, f.lag);
  return taken;
}

base::Expected<std::vector<std::pair<std::string, std::string>>> ShimEnvFromFlags(
    const ShimFlags& f) {
  using Result = base::Expected<std::vector<std::pair<std::string, std::string>>>;
  std::vector<std::pair<std::string, std::string>> env;
  if (!f.aspects.empty()) {
    for (std::string_view rest = f.aspects; !rest.empty();) {
      auto comma = rest.find(',');
      std::string_view a = rest.substr(0, comma);
      if (a != "stale" && a != "latency") {
        return Result::Fail(
            BadValue(f, kAspects, f.aspects, "expected a comma list of stale, latency"));
      }
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
    env.emplace_back(kAspects.var, f.aspects);
  }
  if (f.depth != 0) {
    if (f.depth < 1 || f.depth > 64) {
      return Result::Fail("timerbisect: --depth must be from 1 to 64");
    }
    env.emplace_back(kDepth.var, std::to_string(f.depth));
  }
  if (!f.scope.empty()) {
    // No function name or path holds one, and every message quoting the
    // scope broke into two lines at a newline (audit 25).
    if (std::string shown = WithControlsEscaped(f.scope); shown != f.scope) {
      return Result::Fail(BadValue(f, kScope, shown, "holds a control character (a newline?)"));
    }
    // The shim would reject it too, but only by going inert in every run.
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(f.scope, options);
    if (!re.ok()) {
      return Result::Fail(BadValue(f, kScope, f.scope, "not a valid re2 regex: " + re.error()));
    }
    env.emplace_back(kScope.var, f.scope);
  }
  for (const auto& [setting, value] :
       {std::pair{kShort, f.short_threshold}, std::pair{kLag, f.lag}}) {
    if (value.empty()) continue;
    std::int64_t ns = 0;
    if (!protocol::ParseDuration(value, ns) || ns <= 0) {
      return Result::Fail(BadValue(
          f, setting, value,
          "expected a positive duration: whole digits and a unit (ns, us, ms, s or m), such as "
          "50us, 1ms or 2s, at most 1000000000s"));
    }
    env.emplace_back(setting.var, value);
  }
  return env;
}

std::string ShortAboveLagNote(const ShimFlags& f) {
  const std::string short_text =
      f.short_threshold.empty() ? std::string(protocol::kDefaultShort) : f.short_threshold;
  const std::string lag_text = f.lag.empty() ? std::string(protocol::kDefaultLag) : f.lag;
  std::int64_t short_ns = 0, lag_ns = 0;
  if (!protocol::ParseDuration(short_text, short_ns) ||
      !protocol::ParseDuration(lag_text, lag_ns) || short_ns <= lag_ns) {
    return "";
  }
  return "timerbisect: note: --short " + short_text + " is above --lag " + lag_text +
         ": old makes a short timer wait max(its time, the lag), so timers between " + lag_text +
         " and " + short_text + " are sites that old does not change; give a --lag above --short";
}

base::Expected<std::string> PreflightShimTarget(const std::vector<std::string>& command, bool shell,
                                                const std::string& shim_flag) {
  using Result = base::Expected<std::string>;
  if (!shell) {
    auto resolved = run::ResolveCommand(command[0]);
    if (!resolved) return Result::Fail(resolved.error());
    if (auto preloadable = run::CheckPreloadable(*resolved); !preloadable) {
      return Result::Fail(preloadable.error());
    }
  }
  return LocateShim(shim_flag);
}

std::string AsanRefusedPreloadError() {
  return "timerbisect: the program is built with g++'s AddressSanitizer, which exits when "
         "LD_PRELOAD puts the shim before its runtime (\"ASan runtime does not come "
         "first\"); add verify_asan_link_order=0 to ASAN_OPTIONS (export "
         "ASAN_OPTIONS=verify_asan_link_order=0) and run again";
}

namespace {

std::string DroppedExecsList(const report::ReportCollector& reports) {
  std::string execs;
  for (const std::string& exec : reports.dropped_execs()) {
    if (!execs.empty()) execs += ", ";
    execs += exec;
  }
  return execs;
}

}  // namespace

namespace {

// What to do about the execs that dropped the shim: an environment that
// no longer loads it (env -i, sudo, a wrapper that clears it), or a static
// program (shim/exec.cc says which).
std::string DroppedAdvice(const report::ReportCollector& reports) {
  bool cleared = false, is_static = false;
  for (const std::string& text : reports.dropped_execs()) {
    (text.find("(a static program") != std::string::npos ? is_static : cleared) = true;
  }
  std::string advice;
  if (cleared) {
    advice =
        "run it directly, or pass LD_PRELOAD and TIMERSEM* through to it (env -i, sudo or a "
        "wrapper cleared them)";
  }
  if (is_static) {
    advice += std::string(advice.empty() ? "" : "; ") +
              "build it without -static (no loader runs in a static program to load the shim)";
  }
  return advice;
}

}  // namespace

std::string DroppedShimCaveat(const report::ReportCollector& reports) {
  if (reports.dropped_execs().empty()) return "";
  return "the shim was dropped when " + DroppedExecsList(reports) +
         " was started: if that is the test, it ran with native timers in every run; " +
         DroppedAdvice(reports);
}

std::string ShimDroppedError(const report::ReportCollector& reports) {
  if (!reports.Ids().empty() || reports.dropped_execs().empty()) return "";
  return "timerbisect: no timer site was reached, and the shim was dropped when " +
         DroppedExecsList(reports) + " was started; if that is the program, " +
         DroppedAdvice(reports);
}

std::string ShimNotReachedError(const report::ReportCollector& reports) {
  if (!reports.shim_announced()) {
    return "timerbisect: the shim was never loaded in any run; does the command run a static or "
           "setuid program, or clear the environment (sudo, env -i)?";
  }
  return ShimDroppedError(reports);
}

}  // namespace timerbisect::cmd
