#include "config.h"

#include "protocol/duration.h"

#include <re2/re2.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace timerbisect::shim {
namespace {

bool Fail(std::string& error, const char* var, std::string_view value, std::string_view why) {
  error = "timerbisect: bad ";
  error += var;
  error += "=\"";
  error.append(value);
  error += "\": ";
  error.append(why);
  error += "; the shim stays inert";
  error = OneLine(error);
  return false;
}

bool ParseTimersem(Config& c, std::string_view value, std::string& error) {
  c.timersem = std::string(value);
  if (value.empty() || value == "native") return true;
  if (value == "watch") {
    c.watch = true;
    c.active = true;
    return true;
  }
  std::string_view mode = value, pattern;
  bool has_pattern = false;
  if (auto hash = value.find('#'); hash != std::string_view::npos) {
    mode = value.substr(0, hash);
    pattern = value.substr(hash + 1);
    has_pattern = true;
  }
  if (mode == "old") {
    c.pattern_mode = Mode::kOld;
  } else if (mode == "new") {
    c.pattern_mode = Mode::kNew;
  } else {
    return Fail(error, "TIMERSEM", value,
                "expected native, old, new, old#PATTERN, new#PATTERN or watch");
  }
  if (has_pattern) {
    if (pattern.empty()) return Fail(error, "TIMERSEM", value, "empty pattern after '#'");
    protocol::ParseError perr;
    auto m = protocol::Matcher::Parse(pattern, &perr);
    if (!m) return Fail(error, "TIMERSEM", value, perr.Message(pattern));
    c.matcher = std::move(*m);
  }
  c.active = true;
  return true;
}

bool ParseAspects(Config& c, std::string_view all, std::string& error) {
  c.aspects = 0;
  std::string_view value = all;
  if (all.starts_with(',') || all.ends_with(',') || all.find(",,") != std::string_view::npos) {
    return Fail(error, "TIMERSEM_ASPECTS", all, "empty item in the comma list of: stale, latency");
  }
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    if (item == "stale") {
      c.aspects |= kAspectStale;
    } else if (item == "latency") {
      c.aspects |= kAspectLatency;
    } else {
      return Fail(error, "TIMERSEM_ASPECTS", all, "expected a comma list of: stale, latency");
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (c.aspects == 0) return Fail(error, "TIMERSEM_ASPECTS", all, "no aspect named");
  return true;
}

}  // namespace

std::string OneLine(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    if (ch < 0x20 || ch == 0x7f) {
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

bool ParseConfig(Config& c, std::string& error) {
  if (const char* v = std::getenv("TIMERSEM"); v != nullptr) {
    if (!ParseTimersem(c, v, error)) return false;
  }
  if (!c.active) return true;  // inert: the other variables do not matter
  if (const char* v = std::getenv("TIMERSEM_ASPECTS"); v != nullptr && *v != '\0') {
    if (!ParseAspects(c, v, error)) return false;
  }
  if (const char* v = std::getenv("TIMERSEM_DEPTH"); v != nullptr) {
    char* end = nullptr;
    long depth = std::strtol(v, &end, 10);
    // Digits only: strtol would also take a leading space or sign.
    if (*v < '0' || *v > '9' || *end != '\0' || depth < 1 || depth > 64) {
      return Fail(error, "TIMERSEM_DEPTH", v, "expected a number of frames from 1 to 64");
    }
    c.depth = static_cast<int>(depth);
  }
  if (const char* v = std::getenv("TIMERSEM_SCOPE"); v != nullptr && *v != '\0') {
    RE2::Options options;
    options.set_log_errors(false);
    auto* re = new RE2(v, options);
    if (!re->ok()) {
      std::string why = "not a valid re2 regex: " + re->error();
      delete re;
      return Fail(error, "TIMERSEM_SCOPE", v, why);
    }
    c.scope = re;
    c.scope_plain.Parse(v);
  }
  if (const char* v = std::getenv("TIMERSEM_REPORT"); v != nullptr && *v != '\0') {
    if (std::strcmp(v, "stderr") != 0) c.report_path = v;
  }
  const char* duration_vars[] = {"TIMERSEM_SHORT", "TIMERSEM_LAG"};
  std::int64_t* targets[] = {&c.short_ns, &c.lag_ns};
  for (int i = 0; i < 2; ++i) {
    const char* v = std::getenv(duration_vars[i]);
    if (v == nullptr) continue;
    std::int64_t ns = 0;
    if (!protocol::ParseDuration(v, ns) || ns <= 0) {
      return Fail(
          error, duration_vars[i], v,
          "expected a positive duration: whole digits and a unit (ns, us, ms, s or m), such as "
          "50us, 1ms or 2s, at most 1000000000s");
    }
    *targets[i] = ns;
  }
  for (SettingAtStart& setting : c.child_settings) {
    if (const char* v = std::getenv(setting.name); v != nullptr) setting.value = v;
  }
  return true;
}

}  // namespace timerbisect::shim
