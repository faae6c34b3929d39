// Finds libtimerbisect.so without the user's help.
#pragma once

#include <string>

#include "base/expected.h"

namespace timerbisect::cmd {

// The shim to preload: `explicit_path` if given, else $TIMERBISECT_SHIM,
// else next to this executable (the build tree's ../shim/, an install's
// ../lib/timerbisect/ or ../lib/); or one error line.
base::Expected<std::string> LocateShim(const std::string& explicit_path);

}  // namespace timerbisect::cmd
