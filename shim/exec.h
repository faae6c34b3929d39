// Execs that drop the shim. A wrapper that clears the environment (env -i,
// sudo, a script's `exec env -i prog`) runs the program without
// LD_PRELOAD or TIMERSEM: the shim loaded, in the wrapper, and the program
// never saw it. The exec interceptors (exec.cc) say so in the report, so the
// driver can tell "no timer sites" from "the shim never reached the program".
#pragma once

namespace timerbisect::shim {

// At initialization, once the configuration is parsed: remembers the shim's
// file name, which an exec's LD_PRELOAD must still name.
void InitExecCheck();

}  // namespace timerbisect::shim
