// Finds libtimerbisect.so without the user's help.
#pragma once

#include <string>

#include "base/expected.h"

namespace timerbisect::cmd {

// The --help paragraph that names $TIMERBISECT_SHIM, for the commands that
// preload the shim (help2man makes it the man page's ENVIRONMENT section).
inline constexpr const char* kShimEnvironmentHelp =
    "Environment:\n"
    "  TIMERBISECT_SHIM  the shim to preload when --shim is not given";

// The shim to preload: `explicit_path` if given, else $TIMERBISECT_SHIM,
// else next to this executable (the build tree's ../shim/, an install's
// ../lib/timerbisect/ or ../lib/); or one error line.
base::Expected<std::string> LocateShim(const std::string& explicit_path);

}  // namespace timerbisect::cmd
