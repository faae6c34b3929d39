#include "run/probe.h"

namespace timerbisect::run {

ProbeOutput RunProbe(Launcher& launcher, const ProbeSpec& spec) {
  return launcher.Wait(launcher.Start(spec));
}

}  // namespace timerbisect::run
