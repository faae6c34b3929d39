#!/usr/bin/env bash
# Runs an event-loop library's own test suite without the shim, then under
# the shim in each MODE, and compares every test's result (and the test
# runner's own fate) with the run without the shim. An inert shim, and one
# that only watches, must change nothing a test can observe. Suites:
#   glib      GLib's installed tests (libglib2.0-tests:
#             /usr/libexec/installed-tests/glib), TAP per subtest; a
#             timer-related subset of binaries;
#   sdevent   systemd's sd-event test (systemd-tests:
#             /usr/lib/systemd/tests/test-event), which aborts on a failed
#             assertion: its exit status is its result;
#   libuv     libuv's own test runner (test/run-tests, built as
#             uv_run_tests), TAP per test;
#   libevent  libevent's test/regress, "group/name: OK" per test.
# libuv's and libevent's runners are installed by no Debian binary package:
# scripts/fetch_suite_source.sh fetches Debian's source packages (libuv1,
# libevent) with a private apt state and builds them into the --cache
# directory. For these two the runs without the shim and under the inert
# shim cover the whole suite; every other mode runs the tests given by
# --tests (default: the suite's timer tests, below; "all": the whole suite).
#
# usage: scripts/third_party_suite.sh --shim PATH [--suite glib|sdevent|libuv|libevent]
#                                     [--modes "inert watch old new"]
#                                     [--tests "timeout mainloop ..."|all]
#                                     [--cache DIR] [--keep DIR] [--strict]
#   MODE inert: LD_PRELOAD set, TIMERSEM unset.
#   MODE watch: TIMERSEM=watch where the shim knows it, else TIMERSEM=native.
#   MODE old, new, native: that TIMERSEM (old and new may legitimately
#   change results; they are reported, and fail the run only with --strict).
#   --cache DIR: libuv, libevent: where their source and build are kept
#   (DIR/libuv, DIR/libevent), so that a second run fetches and builds
#   nothing; default: a temporary directory, removed at the end.
#   --keep DIR: keep every run's output there.
# Default modes: "inert watch". Exit 0 when every compared mode agrees with
# the run without the shim, 1 when one differs or, in any mode (old and new
# too), the test runner itself hangs or crashes, 2 on usage errors, 77
# (skipped) when the suite's tests are not installed or, for libuv and
# libevent, cannot be fetched (no network, no apt).
#
# A test whose result differs is run again, alone, with and without the
# shim, before it counts: timing and network tests can be flaky on a
# loaded machine. libuv and libevent: up to 3 times each way; it agrees
# once the shim's result is one the run without the shim also gave.
set -u

suite=glib
shim=""
modes="inert watch"
tests=""
cache=""
keep=""
strict=0
# Each binary (glib, sdevent) or single-test run (libuv, libevent) is
# stopped after this long; a whole libuv or libevent run after
# suite_timeout. A hang is a difference.
per_test_timeout=300
suite_timeout=900

while [ $# -gt 0 ]; do
  case "$1" in
    --shim | --suite | --modes | --tests | --cache | --keep)
      if [ $# -lt 2 ]; then
        echo "third_party_suite: $1 needs a value (see the usage at the top of $0)" >&2
        exit 2
      fi
      case "$1" in
        --shim) shim="$2" ;;
        --suite) suite="$2" ;;
        --modes) modes="$2" ;;
        --tests) tests="$2" ;;
        --cache) cache="$2" ;;
        --keep) keep="$2" ;;
      esac
      shift 2
      ;;
    --strict) strict=1; shift ;;
    *) echo "third_party_suite: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
if [ -z "$shim" ] || [ ! -f "$shim" ]; then
  echo "third_party_suite: --shim PATH to libtimerbisect.so is required (got '${shim}')" >&2
  exit 2
fi
# The runs happen in other directories.
shim="$(cd "$(dirname "$shim")" && pwd)/$(basename "$shim")"
for mode in $modes; do
  case "$mode" in
    inert | watch | native | old | new) ;;
    *) echo "third_party_suite: unknown mode '$mode' in --modes (inert, watch, native, old, new)" >&2; exit 2 ;;
  esac
done
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
  libuv | libevent) ;;
  *) echo "third_party_suite: unknown --suite '$suite' (glib, sdevent, libuv, libevent)" >&2; exit 2 ;;
esac

work="${keep:-$(mktemp -d)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
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

# run_cmd MODE OUT LIMIT CMD ARGS...: CMD's stdout in OUT, stderr in
# OUT.err, exit status in OUT.rc ("hang" when killed after LIMIT seconds),
# the shim's report in OUT.report. MODE "none": no shim. Extra environment
# for CMD comes from the array suite_env.
suite_env=()
# Tests whose result depends on the machine's network (see libuv below).
network_tests=""
run_cmd() {
  local mode="$1" out="$2" limit="$3" rc start
  shift 3
  rm -f "$out.report"
  start=$SECONDS
  # timeout(1) itself arms a timer: it runs outside the shim, env inside.
  if [ "$mode" = none ]; then
    timeout -s KILL "$limit" env "${suite_env[@]}" "$@" >"$out" 2>"$out.err"
    rc=$?
  else
    local value
    value="$(timersem_of "$mode")"
    if [ -z "$value" ]; then
      timeout -s KILL "$limit" env -u TIMERSEM LD_PRELOAD="$shim" \
        TIMERSEM_REPORT="$out.report" "${suite_env[@]}" "$@" >"$out" 2>"$out.err"
    else
      timeout -s KILL "$limit" env LD_PRELOAD="$shim" TIMERSEM="$value" \
        TIMERSEM_REPORT="$out.report" "${suite_env[@]}" "$@" >"$out" 2>"$out.err"
    fi
    rc=$?
  fi
  [ "$rc" -eq 137 ] && [ $((SECONDS - start)) -ge "$limit" ] && rc=hang
  echo "$rc" >"$out.rc"
}

# Sites a run's report names.
sites_of() {
  if [ -f "$1.report" ]; then
    grep -o '^\[bisect-match 0x[0-9a-f]*\]' "$1.report" | sort -u | wc -l
  else
    echo 0
  fi
}

count() { grep -c " $2\$" "$1" || true; }

case "$suite" in
  libuv | libevent) ;;
  *)
# --- glib, sdevent: installed binaries, each one run whole ---
tests="${tests:-$default_tests}"
if [ ! -d "$suite_dir" ]; then
  echo "third_party_suite: $suite_dir not found: install $package; skipped"
  exit 77
fi

# run_one TEST MODE OUT: the test's TAP output in OUT, its exit status in
# OUT.rc and the shim's report in OUT.report. MODE "none": no shim.
run_one() {
  run_cmd "$2" "$3" "$per_test_timeout" "$suite_dir/$1"
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

differ=0
agree=0
allowed=0 # differences under old or new without --strict: reported, not failures
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
    printf '%-12s %-7s %5s %6s %5s %5s %6s  %s\n' "$test" "$mode" "$(cat "$out.rc")" \
      "$(count "$out.res" ok)" "$(count "$out.res" not-ok)" "$(count "$out.res" skip)" \
      "$(sites_of "$out")" "$verdict"
    case "$verdict" in
      DIFFERENT*)
        if [ "$mode" = inert ] || [ "$mode" = watch ] || [ "$mode" = native ] || [ "$strict" = 1 ]; then
          differ=$((differ + 1))
        else
          allowed=$((allowed + 1))
        fi
        ;;
      *) agree=$((agree + 1)) ;;
    esac
  done
done
echo "third_party_suite: $suite ($package $(dpkg-query -W -f='${Version}' "$package" 2>/dev/null))," \
  "modes: $modes (watch = TIMERSEM=$(timersem_of watch))"
echo "third_party_suite: $agree runs agree with the run without the shim, $differ differ" \
  "where they must not ($allowed more under old or new, which may change results)"
[ "$differ" -eq 0 ]
exit
    ;;
esac

# --- libuv, libevent: built from Debian's source packages ---
if [ -z "$cache" ]; then
  cache="$work/cache"
fi
mkdir -p "$cache" || { echo "third_party_suite: cannot create --cache $cache" >&2; exit 2; }
fetched="$("$(dirname "$0")/fetch_suite_source.sh" --suite "$suite" --dir "$cache")"
rc=$?
if [ "$rc" -eq 77 ]; then
  echo "third_party_suite: $suite: its source could not be fetched (the line above says why); skipped"
  exit 77
elif [ "$rc" -ne 0 ]; then
  echo "third_party_suite: $suite: fetching or building its source failed (the line above says why)" >&2
  exit 1
fi
runner="$(sed -n 's/^runner //p' <<<"$fetched")"
version="$(sed -n 's/^version //p' <<<"$fetched")"
src="$(cd "$cache/$suite/src" && pwd)"

case "$suite" in
  libuv)
    package=libuv1
    # As Debian's build runs them (debian/rules): doubled timeouts, no DNS.
    suite_env=(UV_TEST_TIMEOUT_MULTIPLIER=2 RES_OPTIONS=attempts:0)
    # The runner refuses root unless told otherwise (CI runs as root).
    [ "$(id -u)" -eq 0 ] && suite_env+=(UV_RUN_AS_ROOT=1)
    # Its tests find their fixtures relative to the source tree.
    rundir="$src"
    # These race a timer against a connection to an address outside the
    # machine (1.2.3.4, 8.8.8.8), which Debian's buildds cannot reach (the
    # tests then skip). Where the network answers within a millisecond or
    # so (a sandbox whose proxy accepts every TCP connection: about half of
    # the runs of tcp_close_while_connecting failed without the shim), the
    # result is the network's, not the timers': a difference is reported,
    # not counted.
    network_tests="tcp_close_while_connecting tcp_connect_timeout"
    ;;
  libevent)
    package=libevent
    suite_env=()
    rundir="$work"
    ;;
esac

# The suite's tests, one name a line, in $work/all.names: the ones a whole
# run runs (libevent: also those off by default, which it reports as
# DISABLED).
if [ "$suite" = libuv ]; then
  # One test a line, some followed by "(helpers: ...)".
  (cd "$rundir" && env "${suite_env[@]}" "$runner" --list) 2>/dev/null |
    awk '{ print $1 }' >"$work/all.names"
else
  "$runner" --list-tests 2>/dev/null | awk '/^    [^ ]/ { print $1 }' \
    >"$work/all.names"
fi
if [ ! -s "$work/all.names" ]; then
  echo "third_party_suite: $runner lists no tests" >&2
  exit 1
fi

# The timer tests, for modes other than none and inert. libuv: the tests
# defined in a test/test-*.c that arms a libuv timer (uv_timer_start or
# uv_timer_again). libevent: its event core (main/), threads (thread/),
# signals (signal/), edge-triggered events (et/), and every test named for
# a timeout or timer elsewhere (bufferevent, http, dns, rpc timeouts).
timer_tests() {
  if [ "$suite" = libuv ]; then
    grep -l 'uv_timer_start\|uv_timer_again' "$src"/test/test-*.c |
      xargs sed -n 's/^TEST_IMPL(\([a-z0-9_]*\).*/\1/p' | sort -u |
      grep -Fxf - "$work/all.names"
  else
    grep -E '^(main|thread|signal|et)/|timeout|timer' "$work/all.names"
  fi
}
# libuv's runner takes one test per run; its timer tests one at a time
# take longer than its whole suite in one run (68 s against 59 s under
# watch), so libuv's default is the whole suite in every mode.
[ -z "$tests" ] && [ "$suite" = libuv ] && tests=all
case "$tests" in
  "") timer_tests >"$work/subset.names" ;;
  all) cp "$work/all.names" "$work/subset.names" ;;
  *)
    : >"$work/subset.names"
    for t in $tests; do
      case "$t" in
        *..) grep -F -- "${t%..}" "$work/all.names" | grep "^${t%..}" >>"$work/subset.names" ;;
        *) grep -Fx -- "$t" "$work/all.names" >>"$work/subset.names" ||
             { echo "third_party_suite: no test '$t' in $suite's suite" >&2; exit 2; } ;;
      esac
    done
    ;;
esac

# run_suite MODE OUT [NAMES_FILE]: the whole suite (no NAMES_FILE) or the
# listed tests. libuv's runner takes one test per run: a list is run one
# test at a time, the outputs concatenated (each run's status in
# OUT.rcs); libevent's takes them all at once.
run_suite() {
  local mode="$1" out="$2" names="${3:-}" name
  if [ -z "$names" ]; then
    (cd "$rundir" && run_cmd "$mode" "$out" "$suite_timeout" "$runner")
    echo "$(cat "$out.rc") whole" >"$out.rcs"
  elif [ "$suite" = libevent ]; then
    # shellcheck disable=SC2046
    (cd "$rundir" && run_cmd "$mode" "$out" "$suite_timeout" "$runner" $(cat "$names"))
    echo "$(cat "$out.rc") list" >"$out.rcs"
  else
    : >"$out"
    : >"$out.rcs"
    : >"$out.err"
    rm -f "$out.report"
    while read -r name; do
      (cd "$rundir" && run_cmd "$mode" "$out.one" "$per_test_timeout" "$runner" "$name")
      cat "$out.one" >>"$out"
      cat "$out.one.err" >>"$out.err"
      [ -f "$out.one.report" ] && cat "$out.one.report" >>"$out.report"
      echo "$(cat "$out.one.rc") $name" >>"$out.rcs"
    done <"$names"
    rm -f "$out.one" "$out.one.err" "$out.one.rc" "$out.one.report"
  fi
}

# results OUT: "NAME STATUS" per test (ok, not-ok, skip), sorted.
results() {
  if [ "$suite" = libuv ]; then
    awk '
      /^ok [0-9]+ - / { print $4, (($0 ~ /# SKIP/) ? "skip" : "ok"); next }
      /^not ok [0-9]+ - / { print $5, "not-ok" }
    ' "$1" | LC_ALL=C sort
  else
    # A test's line starts "group/name: " and ends in OK or SKIPPED; what
    # the test prints itself may come between, and a failure ends in a
    # line "  [name FAILED]". A retried test's last result counts.
    awk -v names="$work/all.names" '
      BEGIN { while ((getline l < names) > 0) known[l] = 1 }
      {
        line = $0
        if (match(line, /^[^ :]+: /) && (substr(line, 1, RLENGTH - 2) in known)) {
          cur = substr(line, 1, RLENGTH - 2)
          line = substr(line, RLENGTH + 1)
          gsub(/\[(forking|Lost connection!|atexit failure!)\] /, "", line)
        }
        if (cur == "") next
        if (line == "OK") res[cur] = "ok"
        else if (line == "SKIPPED") res[cur] = "skip"
        else if (line == "DISABLED") res[cur] = "disabled"
        else if (line ~ /^  \[[^ ]+ FAILED\]$/) {
          n = line; sub(/^  \[/, "", n); sub(/ FAILED\]$/, "", n)
          if (cur == n || substr(cur, length(cur) - length(n)) == "/" n) res[cur] = "not-ok"
        }
      }
      END { for (t in res) print t, res[t] }
    ' "$1" | LC_ALL=C sort
  fi
}

# runner_fate OUT NAMES_FILE: "complete" when the runner behind OUT ended
# by itself each time, printed a result for every test it was given, and
# exited as those results imply (libuv's whole run: the number of failed
# tests; libevent: 1 if one failed); else what went wrong. A hang or crash
# of the runner itself is a difference in every mode.
runner_fate() {
  local out="$1" names="$2" res rc what plan failed
  res="$(results "$out")"
  if grep -q '^hang ' "$out.rcs"; then
    echo "hung: killed after ${suite_timeout}s ($(grep -m1 '^hang ' "$out.rcs" | cut -d' ' -f2-))"
    return
  fi
  failed=$(grep -c ' not-ok$' <<<"$res")
  read -r rc what <"$out.rcs"
  if [ "$suite" = libuv ] && [ "$what" = whole ]; then
    plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n 1)
    if [ -z "$plan" ]; then
      echo "crashed: no TAP plan (exit $rc)"
    elif [ "$(grep -c . <<<"$res")" -ne "$plan" ]; then
      echo "crashed: $(grep -c . <<<"$res") results of $plan (exit $rc)"
    elif [ "$rc" -ne $((failed % 256)) ]; then
      echo "crashed: exit $rc after $failed failed tests"
    else
      echo complete
    fi
    return
  fi
  if [ "$suite" = libuv ]; then
    # One run per test: each must print that test's result.
    local missing
    missing=$(grep -vxFf <(cut -d' ' -f1 <<<"$res") "$names" | head -n 3 | tr '\n' ' ')
    if [ -n "$missing" ]; then
      echo "crashed: no result for $missing"
    else
      echo complete
    fi
    return
  fi
  if [ "$rc" -ge 128 ]; then
    echo "crashed: killed by signal $((rc - 128))"
  elif ! grep -qE '^[0-9]+ tests ok\.|^[0-9]+/[0-9]+ TESTS FAILED\.' "$out"; then
    echo "crashed: no summary line (exit $rc)"
  elif [ "$(grep -c . <<<"$res")" -ne "$(grep -c . "$names")" ]; then
    echo "crashed: $(grep -c . <<<"$res") results of $(grep -c . "$names") (exit $rc)"
  elif [ "$rc" -ne $((failed > 0 ? 1 : 0)) ]; then
    echo "crashed: exit $rc after $failed failed tests"
  else
    echo complete
  fi
}

# Processes of the runner still alive (by their executable): the suites'
# own helpers should never outlive a run. They are killed, by PID.
leftovers() {
  local proc pid n=0
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    if [ "$(readlink "$proc/exe" 2>/dev/null)" = "$runner" ]; then
      kill -KILL "$pid" 2>/dev/null && n=$((n + 1))
    fi
  done
  echo "$n"
}

# run_single NAME MODE OUT: one test alone; its "NAME STATUS" line, or
# "NAME missing" when the runner gave none.
run_single() {
  local name="$1" mode="$2" out="$3" line
  (cd "$rundir" && run_cmd "$mode" "$out" "$per_test_timeout" "$runner" "$name")
  line="$(results "$out" | awk -v n="$name" '$1 == n { print; exit }')"
  echo "${line:-$name missing}"
}

# recheck NAME MODE FIRST_NONE FIRST_MODE: runs NAME alone up to 3 times
# each way; prints "agree" once a result under MODE is one the runs
# without the shim also gave, else "differ" and the results seen.
recheck() {
  local name="$1" mode="$2" seen_none=" $3 " seen_mode=" $4 " i r file
  file="$work/recheck.$(tr / _ <<<"$name")"
  for i in 1 2 3; do
    r="$(run_single "$name" none "$file.none.$i" | cut -d' ' -f2)"
    seen_none="$seen_none$r "
    for r in $seen_mode; do
      case "$seen_none" in *" $r "*) echo agree; return ;; esac
    done
    r="$(run_single "$name" "$mode" "$file.$mode.$i" | cut -d' ' -f2)"
    seen_mode="$seen_mode$r "
    case "$seen_none" in *" $r "*) echo agree; return ;; esac
  done
  echo "differ: without the shim$seen_none, $mode$seen_mode"
}

differ=0
agree=0
allowed=0 # differences under old or new without --strict: reported, not failures
fates=0
overall_start=$SECONDS
printf '%-8s %-6s %5s %5s %6s %5s %5s %5s  %s\n' suite mode tests ok not-ok skip sites secs \
  "runner; vs no shim"
summary() {
  local mode="$1" out="$2" res="$3" secs="$4" fate="$5" verdict="$6" sites="$7"
  printf '%-8s %-6s %5s %5s %6s %5s %5s %5s  %s\n' "$suite" "$mode" "$(grep -c . "$res")" \
    "$(count "$res" ok)" "$(count "$res" not-ok)" "$(grep -cE ' (skip|disabled)$' "$res")" "$sites" "$secs" \
    "$fate; $verdict"
}

# Without the shim: the whole suite.
start=$SECONDS
run_suite none "$work/none"
results "$work/none" >"$work/none.res"
none_fate="$(runner_fate "$work/none" "$work/all.names")"
left=$(leftovers)
[ "$left" -gt 0 ] && none_fate="$none_fate, left $left processes (killed)"
summary none "$work/none" "$work/none.res" $((SECONDS - start)) "$none_fate" - -

for mode in inert $modes; do
  # inert always runs (on the whole suite) and only once.
  [ "$mode" = inert ] && [ -f "$work/inert.res" ] && continue
  out="$work/$mode"
  start=$SECONDS
  if [ "$mode" = inert ]; then
    names="$work/all.names"
    run_suite "$mode" "$out"
  elif cmp -s "$work/subset.names" "$work/all.names"; then
    names="$work/all.names"
    run_suite "$mode" "$out"
  else
    names="$work/subset.names"
    run_suite "$mode" "$out" "$names"
  fi
  secs=$((SECONDS - start))
  results "$out" >"$out.res"
  fate="$(runner_fate "$out" "$names")"
  left=$(leftovers)
  if [ "$left" -gt 0 ]; then
    fate="$fate, left $left processes (killed)"
    case "$none_fate" in *left*) ;; *) fate="crashed: $fate" ;; esac
  fi
  case "$fate" in complete*) ;; *) fates=$((fates + 1)) ;; esac
  # The run without the shim, on the same tests.
  LC_ALL=C join "$work/none.res" <(LC_ALL=C sort "$names") >"$out.base"
  # Each test whose result differs (or is missing on one side), rechecked.
  n_same=0 n_rerun=0 n_differ=0 n_lost=0 n_network=0 differing=""
  LC_ALL=C join -a1 -a2 -e missing -o 0,1.2,2.2 "$out.base" "$out.res" >"$out.joined"
  while read -r name was now; do
    if [ "$was" = "$now" ]; then
      n_same=$((n_same + 1))
      continue
    fi
    # No result because the runner crashed or hung: that already fails
    # the run; rerunning every test it never reached would take long.
    if [ "$now" = missing ]; then
      case "$fate" in
        complete*) ;;
        *) n_lost=$((n_lost + 1)); continue ;;
      esac
    fi
    r="$(recheck "$name" "$mode" "$was" "$now")"
    if [ "$r" = agree ]; then
      n_rerun=$((n_rerun + 1))
      echo "  $mode $name: $was without the shim, $now under it; the same on a rerun"
    elif [[ " $network_tests " == *" $name "* ]]; then
      n_network=$((n_network + 1))
      echo "  $mode $name: differs (${r#differ: }), not counted: its result depends on the machine's network"
    else
      n_differ=$((n_differ + 1))
      differing="$differing $name"
      echo "  $mode $name: DIFFERENT: ${r#differ: }"
    fi
  done <"$out.joined"
  verdict="$n_same same, $n_rerun same on a rerun, $n_differ DIFFERENT"
  [ "$n_network" -gt 0 ] && verdict="$verdict, $n_network differing through the network"
  [ "$n_lost" -gt 0 ] && verdict="$verdict, $n_lost without a result"
  summary "$mode" "$out" "$out.res" "$secs" "$fate" "$verdict" "$(sites_of "$out")"
  if [ "$mode" = inert ] || [ "$mode" = watch ] || [ "$mode" = native ] || [ "$strict" = 1 ]; then
    differ=$((differ + n_differ))
  else
    allowed=$((allowed + n_differ))
  fi
  allowed=$((allowed + n_network))
  agree=$((agree + n_same + n_rerun))
done
echo "third_party_suite: $suite ($package $version, built from Debian's source package in $cache/$suite):" \
  "the whole suite ($(grep -c . "$work/all.names") tests) without the shim and inert," \
  "$(grep -c . "$work/subset.names") tests under the other modes, $modes (watch = TIMERSEM=$(timersem_of watch));" \
  "$((SECONDS - overall_start)) s"
echo "third_party_suite: $agree test results agree with the run without the shim, $differ differ" \
  "where they must not ($allowed more under old or new, or through the network, which may change results);" \
  "the runner hung or crashed in $fates runs"
[ "$differ" -eq 0 ] && [ "$fates" -eq 0 ]
