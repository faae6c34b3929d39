#!/usr/bin/env bash
# What a probe costs through Slurm: wall time of `timerbisect triage` on a
# slow timer-flaky test (examples/ci_ctest's flaky_timer_test after a 0.5 s
# sleep, so each run takes about 0.5 s), run locally with -j 2 and through
# `--launcher slurm -j 2` on the single-node Slurm of scripts/slurm_local.sh
# (the same machine, so the difference is the launcher's own cost).
#
#   bench/launcher_overhead.sh [BUILD_DIR] [REPEATS]
#
# BUILD_DIR: the built tree (default build/); REPEATS: triages per launcher
# (default 1). Prints one line per triage and the mean cost of a run: wall
# time x 2 (runs in flight) / runs. Note that triage starts its three
# configurations together (native, all-old, all-new: 3 runs in flight at
# -j 2), which a 2-CPU Slurm node runs 2 at a time while this machine runs
# all 3; so the triage lines include queueing, and the last lines give the
# launcher's own cost per run: 20 runs of `perl -e 1` one after the other,
# bare and through srun. Needs root (it starts Slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build}")
REPEATS=${2:-1}
DRIVER=$BUILD/cmd/timerbisect
[ -x "$DRIVER" ] || { echo "launcher_overhead: no $DRIVER; build first" >&2; exit 2; }
scripts/slurm_local.sh start

EXAMPLE=$BUILD/bench-ci_ctest
cmake -S examples/ci_ctest -B "$EXAMPLE" >/dev/null
cmake --build "$EXAMPLE" >/dev/null
TEST_BIN=$EXAMPLE/flaky_timer_test

# triage LAUNCHER: prints "LAUNCHER RUNS SECONDS".
triage() {
  local launcher=$1 out start end runs
  start=$(date +%s%N)
  out=$("$DRIVER" triage -q -j 2 --launcher "$launcher" --scope flaky_timer_test \
    --shell -- "sleep 0.5; exec $TEST_BIN" 2>/dev/null || true)
  end=$(date +%s%N)
  # "timerbisect triage: N runs", then bisect's "found 1 set (P probes, R runs)".
  runs=$(sed -nE 's/^timerbisect triage: ([0-9]+) runs$/\1/p' <<<"$out")
  local bisect_runs
  bisect_runs=$(sed -nE 's/.*found [0-9]+ sets? \([0-9]+ probes, ([0-9]+) runs\).*/\1/p' <<<"$out")
  # The bisect's count includes the triage's runs (one Target).
  if [ -n "$bisect_runs" ]; then runs=$bisect_runs; fi
  echo "$launcher ${runs:-0} $(awk -v a="$start" -v b="$end" 'BEGIN {print (b - a) / 1e9}')"
}

printf '%-8s %6s %9s %12s\n' launcher runs wall_s s_per_run
for launcher in local slurm; do
  for _ in $(seq "$REPEATS"); do
    line=$(triage "$launcher")
    read -r name runs secs <<<"$line"
    awk -v n="$name" -v r="$runs" -v s="$secs" \
      'BEGIN {printf "%-8s %6d %9.1f %12.3f\n", n, r, s, (r > 0 ? s * 2 / r : 0)}'
  done
done

# One job at a time: srun's own cost per run.
sequential() { # sequential PREFIX...: seconds for 20 runs of `perl -e 1`
  local start end
  start=$(date +%s%N)
  for _ in $(seq 20); do "$@" perl -e 1; done
  end=$(date +%s%N)
  awk -v a="$start" -v b="$end" 'BEGIN {print (b - a) / 1e9}'
}
bare=$(sequential env)
srun=$(sequential srun --ntasks=1 --quiet)
awk -v b="$bare" -v s="$srun" 'BEGIN {
  printf "one run at a time: bare %.3f s, through srun %.3f s: srun adds %.3f s a run\n",
    b / 20, s / 20, (s - b) / 20 }'
