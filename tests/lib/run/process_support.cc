// Start-up of every lib/run test that runs processes (process_support.h).
#include "process_support.h"

#include <sys/prctl.h>

namespace timerbisect::run {

const bool kSubreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;

}  // namespace timerbisect::run
