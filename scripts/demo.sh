#!/usr/bin/env bash
# The demo behind `scripts/dev.sh demo`: bisects examples/drain_after_disarm
# (three timers, one drained after a disarm, which hangs under new
# semantics) and prints the culprit stack with file:line and the command
# that reproduces it. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
build=${1:-$(dirname "$0")/../build}
driver=$build/cmd/timerbisect
example=$build/examples/drain_after_disarm
for f in "$driver" "$example"; do
  [ -x "$f" ] || { echo "timerbisect demo: $f is missing; run scripts/dev.sh build first" >&2; exit 2; }
done
echo "\$ timerbisect --timeout 1s -- $example" >&2
exec "$driver" --timeout 1s -- "$example"
