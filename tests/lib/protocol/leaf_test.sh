#!/bin/sh
# lib/protocol is a leaf, as Go's internal/bisect imports nothing: its files
# include only standard headers and its own ("protocol/..."). The shim links
# it into every process it is preloaded into, so a dependency here would go
# there too. Usage: leaf_test.sh LIB_PROTOCOL_DIR
set -eu
dir=$1
bad=$(grep -Hn '^#include "' "$dir"/*.h "$dir"/*.cc | grep -v '#include "protocol/' || true)
if [ -n "$bad" ]; then
  echo "lib/protocol must stay a leaf; these includes reach outside it:" >&2
  echo "$bad" >&2
  exit 1
fi
# System headers are the C and C++ standard library only (no third-party
# library's angle-bracket headers such as <re2/...> or <nlohmann/...>).
bad=$(grep -Hn '^#include <[a-z0-9_]*/' "$dir"/*.h "$dir"/*.cc | grep -v '#include <sys/' || true)
if [ -n "$bad" ]; then
  echo "lib/protocol must stay a leaf; these headers belong to other libraries:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "lib/protocol includes only the standard library and itself"
