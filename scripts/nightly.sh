#!/usr/bin/env bash
# Nightly robustness run: long fuzzing and repeated sanitizer test suites,
# the checks too slow for every commit.
#
#   scripts/nightly.sh [--seconds N] [--repeat N] [--build DIR] [--jobs N] [--skip-tests]
#
#   1. Configures and builds the clang ASan+UBSan tree with the fuzzers
#      (default build-nightly/: Debug, -DTIMERBISECT_SANITIZE="address;undefined",
#      -DTIMERBISECT_FUZZ=ON), or reuses it.
#   2. Runs every fuzzer in tests/fuzz/ for N seconds (--seconds, default
#      600; env FUZZ_SECONDS) on a scratch copy of its seed corpus
#      (tests/fuzz/corpus/NAME). A crash leaves its input in
#      DIR/nightly-artifacts/NAME/ (libFuzzer's crash-*/leak-*/timeout-*
#      files); reproduce with DIR/tests/fuzz/NAME_fuzzer FILE.
#   3. Runs the tree's test suites repeatedly, each test up to N times until
#      it fails (ctest --repeat until-fail:N, --repeat default 3), so a
#      flaky failure shows up; the fuzzers' own short smoke runs are left
#      out (step 2 covers them).
#   4. Prints a summary: each fuzzer's result and executions, the ctest
#      totals; exits 0 when everything passed, 1 otherwise, 2 on bad usage.
#
# Needs the packages of scripts/dev.sh (run `scripts/dev.sh setup` once).
# Every fuzzer runs with -seed=0 (a fresh seed each night, printed in its log).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_FUZZER=${FUZZ_SECONDS:-600}
REPEAT=3
BUILD=build-nightly
JOBS=${JOBS:-$(nproc)}
RUN_TESTS=1

usage() {
  sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_FUZZER="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --skip-tests) RUN_TESTS=0; shift ;;
    -h|--help) usage ;;
    *) echo "nightly: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
for n in "$SECONDS_PER_FUZZER" "$REPEAT" "$JOBS"; do
  case "$n" in
    ''|*[!0-9]*|0) echo "nightly: --seconds, --repeat and --jobs take a positive number, not '$n'" >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*" >&2; }

say "configure and build $BUILD (clang, ASan+UBSan, fuzzers)"
cmake -S "$ROOT" -B "$ROOT/$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  "-DTIMERBISECT_SANITIZE=address;undefined" -DTIMERBISECT_FUZZ=ON \
  >"$ROOT/$BUILD.configure.log" 2>&1 || { cat "$ROOT/$BUILD.configure.log" >&2; exit 1; }
cmake --build "$ROOT/$BUILD" -j "$JOBS" || { echo "nightly: build failed" >&2; exit 1; }

status=0
summary=()

# Every fuzzer the tree built: tests/fuzz/NAME_fuzzer with a seed corpus.
artifacts="$ROOT/$BUILD/nightly-artifacts"
mkdir -p "$artifacts"
fuzzers=()
for f in "$ROOT/$BUILD"/tests/fuzz/*_fuzzer; do
  [ -x "$f" ] && fuzzers+=("$f")
done
if [ ${#fuzzers[@]} -eq 0 ]; then
  echo "nightly: no fuzzer was built in $BUILD/tests/fuzz" >&2
  exit 1
fi
for fuzzer in "${fuzzers[@]}"; do
  name=$(basename "$fuzzer" _fuzzer)
  seeds="$ROOT/tests/fuzz/corpus/$name"
  work="$artifacts/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus"
  [ -d "$seeds" ] && cp -r "$seeds/." "$work/corpus/"
  say "fuzz $name for ${SECONDS_PER_FUZZER}s"
  log="$work/fuzz.log"
  (cd "$work" && "$fuzzer" -max_total_time="$SECONDS_PER_FUZZER" -seed=0 -print_final_stats=1 \
    -artifact_prefix="$work/" corpus) >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    summary+=("fuzz $name: ok, ${execs:-?} executions in ${SECONDS_PER_FUZZER}s")
  else
    status=1
    crash=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | head -n 1)
    summary+=("fuzz $name: FAILED (exit $rc), input ${crash:-none saved}, log $log")
    tail -n 30 "$log" >&2
  fi
done

if [ "$RUN_TESTS" -eq 1 ]; then
  say "test suites in $BUILD, each test until it fails, at most $REPEAT times"
  log="$artifacts/ctest.log"
  ctest --test-dir "$ROOT/$BUILD" --output-on-failure -j "$JOBS" --timeout 900 \
    --repeat until-fail:"$REPEAT" -E '^fuzz\.' 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  [ "$rc" -eq 0 ] || status=1
  summary+=("ctest (until-fail:$REPEAT): ${line:-no summary, exit $rc}")
fi

echo
echo "nightly summary ($BUILD):"
for s in "${summary[@]}"; do echo "  $s"; done
[ "$status" -eq 0 ] && echo "  all passed" || echo "  FAILURES above"
exit "$status"
