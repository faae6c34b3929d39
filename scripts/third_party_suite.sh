#!/usr/bin/env bash
# Runs a timer-related subset of an event-loop library's own test suite,
# as Debian installs it, without the shim, then under the shim in each
# MODE, and compares every subtest's TAP result (and each binary's exit
# status) with the run without the shim. An inert shim, and one that only
# watches, must change nothing a test can observe. Suites:
#   glib     GLib's installed tests (libglib2.0-tests:
#            /usr/libexec/installed-tests/glib), TAP per subtest;
#   sdevent  systemd's sd-event test (systemd-tests:
#            /usr/lib/systemd/tests/test-event), which aborts on a failed
#            assertion: its exit status is its result.
# libuv's and libevent's own suites (test/run-tests, test/regress) are not
# installed by any Debian binary package; they need the source packages
# (apt-get source, with deb-src configured), which this script does not
# fetch.
#
# usage: scripts/third_party_suite.sh --shim PATH [--suite glib|sdevent]
#                                     [--modes "inert watch old new"]
#                                     [--tests "timeout mainloop ..."] [--keep DIR]
#   MODE inert: LD_PRELOAD set, TIMERSEM unset.
#   MODE watch: TIMERSEM=watch where the shim knows it, else TIMERSEM=native.
#   MODE old, new, native: that TIMERSEM (old and new may legitimately
#   change results; they are reported, and fail the run only with --strict).
# Default modes: "inert watch". Exit 0 when every compared mode agrees with
# the run without the shim, 1 when one differs, 2 on usage errors, 77
# (skipped) when the suite's tests are not installed.
#
# A subtest whose result differs is run again, with and without the shim,
# before it counts: timing tests can be flaky on a loaded machine.
set -u

suite=glib
shim=""
modes="inert watch"
tests=""
keep=""
strict=0
# Each binary is stopped after this long (a hang is a difference).
per_test_timeout=300

while [ $# -gt 0 ]; do
  case "$1" in
    --shim) shim="$2"; shift 2 ;;
    --suite) suite="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --tests) tests="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --strict) strict=1; shift ;;
    *) echo "third_party_suite: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
if [ -z "$shim" ] || [ ! -f "$shim" ]; then
  echo "third_party_suite: --shim PATH to libtimerbisect.so is required (got '${shim}')" >&2
  exit 2
fi
case "$suite" in
  glib)
    suite_dir=/usr/libexec/installed-tests/glib
    package=libglib2.0-tests
    default_tests="timeout timer mainloop cond asyncqueue thread-pool contexts cancellable unix"
    ;;
  sdevent)
    suite_dir=/usr/lib/systemd/tests
    package=systemd-tests
    default_tests="test-event"
    ;;
  *) echo "third_party_suite: unknown --suite '$suite' (glib, sdevent)" >&2; exit 2 ;;
esac
tests="${tests:-$default_tests}"
if [ ! -d "$suite_dir" ]; then
  echo "third_party_suite: $suite_dir not found: install $package; skipped"
  exit 77
fi

work="${keep:-$(mktemp -d)}"
mkdir -p "$work"
[ -z "$keep" ] && trap 'rm -rf "$work"' EXIT

# TIMERSEM value of a mode; "watch" falls back to "native" on a shim that
# does not know it (the shim then says "bad TIMERSEM" and stays inert).
timersem_of() {
  case "$1" in
    inert) echo "" ;;
    watch)
      if LD_PRELOAD="$shim" TIMERSEM=watch TIMERSEM_REPORT="$work/probe.report" /bin/true 2>&1 |
          grep -q "bad TIMERSEM"; then
        echo native
      else
        echo watch
      fi
      ;;
    *) echo "$1" ;;
  esac
}

# run_one TEST MODE OUT: the test's TAP output in OUT, its exit status in
# OUT.rc and the shim's report in OUT.report. MODE "none": no shim.
run_one() {
  local test="$1" mode="$2" out="$3" rc
  rm -f "$out.report"
  if [ "$mode" = none ]; then
    timeout -s KILL "$per_test_timeout" "$suite_dir/$test" >"$out" 2>"$out.err"
    rc=$?
  else
    local value
    value="$(timersem_of "$mode")"
    # timeout(1) itself arms a timer: it runs outside the shim, env inside.
    if [ -z "$value" ]; then
      timeout -s KILL "$per_test_timeout" env -u TIMERSEM LD_PRELOAD="$shim" \
        TIMERSEM_REPORT="$out.report" "$suite_dir/$test" >"$out" 2>"$out.err"
    else
      timeout -s KILL "$per_test_timeout" env LD_PRELOAD="$shim" TIMERSEM="$value" \
        TIMERSEM_REPORT="$out.report" "$suite_dir/$test" >"$out" 2>"$out.err"
    fi
    rc=$?
  fi
  echo "$rc" >"$out.rc"
}

# Subtest results of a TAP file, one "PATH STATUS" line each (ok, not-ok,
# skip), sorted; plus "(exit) CODE" for the binary itself.
results() {
  awk '
    /^ok [0-9]+ / { s = ($0 ~ /# SKIP/) ? "skip" : "ok"; sub(/ *#.*/, ""); print $3, s; next }
    /^not ok [0-9]+ / { s = ($0 ~ /# TODO/) ? "todo" : "not-ok"; sub(/ *#.*/, ""); print $4, s }
  ' "$1" | sort
  echo "(exit) $(cat "$1.rc")"
}

count() { grep -c " $2\$" "$1" || true; }

differ=0
agree=0
printf '%-12s %-7s %5s %6s %5s %5s %6s  %s\n' test mode exit ok not-ok skip sites vs-no-shim
for test in $tests; do
  if [ ! -x "$suite_dir/$test" ]; then
    printf '%-12s %-7s missing from %s\n' "$test" - "$suite_dir"
    continue
  fi
  run_one "$test" none "$work/$test.none"
  results "$work/$test.none" >"$work/$test.none.res"
  r="$work/$test.none.res"
  printf '%-12s %-7s %5s %6s %5s %5s %6s  %s\n' "$test" none "$(cat "$work/$test.none.rc")" \
    "$(count "$r" ok)" "$(count "$r" not-ok)" "$(count "$r" skip)" - -
  for mode in $modes; do
    out="$work/$test.$mode"
    run_one "$test" "$mode" "$out"
    results "$out" >"$out.res"
    verdict=same
    if ! cmp -s "$work/$test.none.res" "$out.res"; then
      # Again, both ways, before it counts.
      run_one "$test" none "$work/$test.none2"
      results "$work/$test.none2" >"$work/$test.none2.res"
      run_one "$test" "$mode" "$out.2"
      results "$out.2" >"$out.2.res"
      if cmp -s "$work/$test.none2.res" "$out.2.res"; then
        verdict="same on a second run (first run differed)"
      else
        verdict="DIFFERENT: $(diff "$work/$test.none2.res" "$out.2.res" | grep '^[<>]' | tr '\n' ' ')"
      fi
    fi
    sites=0
    [ -f "$out.report" ] && sites=$(grep -o '^\[bisect-match 0x[0-9a-f]*\]' "$out.report" | sort -u | wc -l)
    printf '%-12s %-7s %5s %6s %5s %5s %6s  %s\n' "$test" "$mode" "$(cat "$out.rc")" \
      "$(count "$out.res" ok)" "$(count "$out.res" not-ok)" "$(count "$out.res" skip)" \
      "$sites" "$verdict"
    case "$verdict" in
      DIFFERENT*)
        if [ "$mode" = inert ] || [ "$mode" = watch ] || [ "$mode" = native ] || [ "$strict" = 1 ]; then
          differ=$((differ + 1))
        fi
        ;;
      *) agree=$((agree + 1)) ;;
    esac
  done
done
echo "third_party_suite: $suite ($package $(dpkg-query -W -f='${Version}' "$package" 2>/dev/null))," \
  "modes: $modes (watch = TIMERSEM=$(timersem_of watch))"
echo "third_party_suite: $agree runs agree with the run without the shim, $differ differ"
[ "$differ" -eq 0 ]
