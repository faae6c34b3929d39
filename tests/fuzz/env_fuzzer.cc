// libFuzzer target: the shim's environment parser (shim/config.cc,
// ParseConfig) with arbitrary values in every TIMERSEM variable. It must
// never crash, and a rejected value must give exactly one line (the shim
// writes it followed by '\n') starting "timerbisect: bad "; an accepted one
// must hold values the interceptors can use.
//
// Input: the values, separated by NUL bytes, in the order of kVariables;
// a missing value, or one that is exactly "\x01", leaves its variable unset.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "config.h"

namespace {

constexpr const char* kVariables[] = {"TIMERSEM",       "TIMERSEM_ASPECTS", "TIMERSEM_DEPTH",
                                      "TIMERSEM_SCOPE", "TIMERSEM_REPORT",  "TIMERSEM_SHORT",
                                      "TIMERSEM_LAG"};

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (const char* var : kVariables) {
    std::size_t nul = rest.find('\0');
    bool present = !rest.empty() || nul != std::string_view::npos;
    std::string value(rest.substr(0, nul));
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    if (present && value != "\x01") {
      setenv(var, value.c_str(), 1);
    } else {
      unsetenv(var);
    }
  }

  timerbisect::shim::Config config;
  std::string error;
  bool ok = timerbisect::shim::ParseConfig(config, error);
  if (!ok) {
    Check(error.rfind("timerbisect: bad ", 0) == 0);
    Check(error.find('\n') == std::string::npos);
  } else if (config.active) {
    Check(config.depth >= 1 && config.depth <= 64);
    Check(config.short_ns > 0 && config.lag_ns > 0);
    Check(config.aspects != 0);
  }
  // The shim keeps its scope regex for the life of the process; here each
  // input gets a fresh one.
  delete config.scope;
  return 0;
}
