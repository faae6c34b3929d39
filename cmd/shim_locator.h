// Finds libtimerbisect.so without the user's help.
#pragma once

#include <string>

namespace timerbisect::cmd {

// The shim to preload: `explicit_path` if given, else $TIMERBISECT_SHIM,
// else next to this executable (the build tree's ../shim/, an install's
// ../lib/timerbisect/ or ../lib/). On failure returns "" and sets `error`.
std::string LocateShim(const std::string& explicit_path, std::string& error);

}  // namespace timerbisect::cmd
