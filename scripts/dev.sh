#!/usr/bin/env bash
# timerbisect's one set-up script. On a fresh Debian 12 machine it installs
# the packages the project needs (only those missing), configures, builds,
# and then does what was asked:
#
#   scripts/dev.sh demo    build, then bisect an example program and print the stacks found
#   scripts/dev.sh test    build, then run every test: the normal build (g++),
#                          ASan+UBSan with the fuzzers' smoke runs (clang), TSan (g++)
#   scripts/dev.sh build   install and build only (build/)
#   scripts/dev.sh setup   install the packages only
#
# Build trees: build/ (normal), build-asan/, build-tsan/. Set JOBS to limit
# parallelism (default: all cores).
#
# The tests of `--launcher slurm` (tests/driver, normal build only)
# start a single-node Slurm with scripts/slurm_local.sh, which installs it
# when run as root, and stop it afterwards; elsewhere they skip, saying why.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}

PACKAGES=(
  cmake ninja-build pkg-config g++ libtsan2 clang libclang-rt-14-dev clang-format
  libcli11-dev libre2-dev libdw-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libevent-dev libglib2.0-dev libuv1-dev libsystemd-dev libboost-dev libglib2.0-tests systemd-tests help2man
  # libuv's and libevent's own suites are built from Debian's source
  # packages (scripts/fetch_suite_source.sh): dpkg-source, and Python for
  # libevent's CMake, which builds test/regress only with it.
  dpkg-dev python3
)

say() { printf '\n== %s\n' "$*" >&2; }

setup() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  say "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# configure_and_build DIR [cmake args...]
configure_and_build() {
  local dir=$1
  shift
  say "configure and build $dir"
  cmake -S "$ROOT" -B "$ROOT/$dir" -G Ninja "$@" >"$ROOT/$dir.configure.log" 2>&1 ||
    { cat "$ROOT/$dir.configure.log" >&2; exit 2; }
  cmake --build "$ROOT/$dir" -j "$JOBS"
}

TOTAL_PASSED=0
TOTAL_FAILED=0
# Every failed test of every tree, "DIR: NAME", repeated after the last tree
# so the end of a long log says what failed.
FAILED_TESTS=()
# run_ctest DIR: runs the tree's tests, prints ctest's summary, adds up counts.
run_ctest() {
  local dir=$1 log
  say "tests in $dir"
  log=$(mktemp)
  local rc=0
  ctest --test-dir "$ROOT/$dir" --output-on-failure -j "$JOBS" --timeout 600 2>&1 | tee "$log" || rc=$?
  local line passed failed total
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  local name
  while IFS= read -r name; do
    FAILED_TESTS+=("$dir: $name")
  done < <(sed -n '/^The following tests FAILED:/,/^Errors while running CTest/p' "$log" |
    grep -E '^[[:space:]]+[0-9]+ - ' | sed -E 's/^[[:space:]]+//')
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "timerbisect: ctest in $dir printed no summary" >&2
    exit 1
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((total - failed))
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  [ "$rc" -eq 0 ] || return "$rc"
}

build_main() {
  configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIMERBISECT_BENCH=ON
}

cmd=${1:-}
case "$cmd" in
  setup)
    setup
    ;;
  build)
    setup
    build_main
    ;;
  demo)
    setup
    build_main
    exec "$ROOT/scripts/demo.sh" "$ROOT/build"
    ;;
  test)
    setup
    status=0
    build_main
    run_ctest build || status=1
    configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      "-DTIMERBISECT_SANITIZE=address;undefined" -DTIMERBISECT_FUZZ=ON
    run_ctest build-asan || status=1
    # g++ for TSan: its runtime is a shared library (libtsan.so) after the
    # preloaded shim, so the shim runs as the program's own code and calls
    # through TSan's interceptors. clang links the runtime into the program,
    # ahead of the shim, and then runs the instrumented shim inside its
    # blocking-call interceptors, where a signal is handled at once: clang
    # 14's runtime then deadlocked or crashed in about 1 in 70 runs of
    # tests/progs/shim_stress.c (google/sanitizers#1540).
    configure_and_build build-tsan -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ -DTIMERBISECT_SANITIZE=thread
    run_ctest build-tsan || status=1
    echo
    if [ ${#FAILED_TESTS[@]} -gt 0 ]; then
      echo "failed tests:"
      printf '  %s\n' "${FAILED_TESTS[@]}"
    fi
    echo "all builds: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
    exit "$status"
    ;;
  *)
    echo "usage: scripts/dev.sh {demo|test|build|setup}" >&2
    exit 2
    ;;
esac
