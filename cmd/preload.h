// LD_PRELOAD as the driver composes it: the shim first, then whatever the
// environment preloaded already (a test may need its own interposer), and
// never the shim twice. The loader splits the list at colons and spaces.
#pragma once

#include <string>
#include <string_view>

namespace timerbisect::cmd {

// Whether an entry of `preload` is a libtimerbisect.so (any directory).
bool PreloadNamesShim(std::string_view preload);

// `preload` without its libtimerbisect.so entries, the rest joined by ':'.
std::string PreloadWithoutShim(std::string_view preload);

// What a run under `shim` gets: "SHIM" or "SHIM:REST", REST being the
// environment's LD_PRELOAD without the shim.
std::string PreloadForRuns(const std::string& shim);
// The same with `inherited` as the LD_PRELOAD the command would get.
std::string PreloadForRuns(const std::string& shim, std::string_view inherited);

// `preload` with its first entry (the shim it was made with) replaced by
// `shim`.
std::string ReplaceFirstPreload(std::string_view preload, const std::string& shim);

}  // namespace timerbisect::cmd
