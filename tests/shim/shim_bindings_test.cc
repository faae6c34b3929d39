// An inert shim changes no symbol binding of a C++ program beyond its own
// interceptors: every binding the dynamic loader makes without the shim
// (LD_DEBUG=bindings, all of them at start with LD_BIND_NOW) is made to the
// same object with it, unless the symbol is one the shim intercepts. The
// shim's stack walker once put libunwind's _Unwind_* in the program's
// global scope, moving libstdc++'s exception machinery onto it.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>

#include "shim_harness.h"

namespace timerbisect::testing {
namespace {

// (file, symbol, version) -> the object the symbol was bound to.
using Bindings = std::map<std::tuple<std::string, std::string, std::string>, std::string>;

Bindings ParseBindings(const std::string& ld_debug) {
  static const std::regex kLine(
      R"(binding file (\S+) \[\d+\] to (\S+) \[\d+\]: normal symbol `([^']+)'(?: \[([^\]]*)\])?)");
  Bindings bindings;
  std::istringstream in(ld_debug);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, kLine)) bindings[{m[1], m[3], m[4]}] = m[2];
  }
  return bindings;
}

Bindings BindingsOf(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> all = env;
  all["LD_DEBUG"] = "bindings";
  all["LD_BIND_NOW"] = "1";
  ShimRun run = RunUnderShim("shim_cxxwait", {"timed_mutex", "ready"}, all);
  EXPECT_EQ(run.exit_code, 0) << run.err.substr(0, 2000);
  return ParseBindings(run.err);
}

bool IsShim(const std::string& object) {
  return object.find("libtimerbisect.so") != std::string::npos;
}

TEST(ShimBindings, InertShimLeavesEveryBindingOfTheProgramWhereItWas) {
#if TIMERBISECT_TSAN
  // The TSan-built program exits 66 (a report on std::timed_mutex, whose
  // pthread_mutex_clocklock TSan does not intercept) with or without the
  // shim; the bindings are checked in the plain and ASan builds.
  GTEST_SKIP() << "ThreadSanitizer reports on this program with or without the shim";
#endif
  Bindings native = BindingsOf({{"LD_PRELOAD", ""}});
  Bindings inert = BindingsOf({{"TIMERSEM", "\x01"}});
  ASSERT_GT(native.size(), 100u) << "LD_DEBUG=bindings printed too little to compare";
  int compared = 0;
  for (const auto& [key, target] : native) {
    auto it = inert.find(key);
    ASSERT_NE(it, inert.end()) << std::get<0>(key) << " " << std::get<1>(key)
                               << ": bound without the shim, not with it";
    if (IsShim(it->second)) continue;  // an interceptor
    EXPECT_EQ(it->second, target) << std::get<0>(key) << " binds " << std::get<1>(key);
    ++compared;
  }
  EXPECT_GT(compared, 100);
  for (const auto& [key, target] : inert) {
    EXPECT_EQ(target.find("libunwind"), std::string::npos)
        << std::get<0>(key) << " binds " << std::get<1>(key) << " to " << target;
  }
}

}  // namespace
}  // namespace timerbisect::testing
