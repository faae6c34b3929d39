#!/usr/bin/env bash
# A single-node Slurm on this machine, for the tests and benchmarks of
# `--launcher slurm` (README, "Beyond one machine").
#
#   scripts/slurm_local.sh start    install what is missing (apt), start munged,
#                                   slurmctld and slurmd, wait until the node is idle
#   scripts/slurm_local.sh stop     stop the daemons this script started (by pid)
#   scripts/slurm_local.sh status   say whether it runs (exit 0) or not (exit 1)
#
# Everything lives under $TIMERBISECT_SLURM_DIR (default
# /tmp/timerbisect-slurm): slurm.conf, state, spool, logs and pid files.
# /etc/slurm/slurm.conf becomes a symlink to that slurm.conf so that srun,
# squeue and sinfo find it; a slurm.conf that is not ours is never touched.
# The node is this host (`hostname -s`) with its real CPU count and memory;
# proctrack/linuxproc and task/none need no cgroups, so it runs in
# containers. `start` is idempotent and returns at once when the node is
# already idle. There is one such cluster per machine: two test runs at
# once (two build trees, two clones) share it, and one run's stop or left
# jobs can time out the other's Slurm tests (2026-12-06: a clean clone's
# first SlurmE2E test waited 300 s on jobs a parallel run had left; alone
# it passed in 9 s).
#
# Exit codes: 0 done; 1 status: not running; 2 usage; 3 not root; 4 a
# package is missing and cannot be installed (no apt-get, or it failed);
# 5 the daemons did not start or the node never became idle (the logs'
# tails are printed); 6 /etc/slurm/slurm.conf exists and is not ours.
# Every failure prints one line starting with "slurm_local:".
set -uo pipefail

DIR=${TIMERBISECT_SLURM_DIR:-/tmp/timerbisect-slurm}
CONF=$DIR/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf
PACKAGES=(slurmctld slurmd slurm-client munge)
MUNGE_SOCKET_DIR=/run/munge
# Seconds to wait for the node to become idle.
IDLE_WAIT=${TIMERBISECT_SLURM_WAIT:-60}

fail() {
  local code=$1
  shift
  echo "slurm_local: $*" >&2
  exit "$code"
}

alive() { # alive PIDFILE: the pid in it is a live process (any user's: /proc, not kill -0)
  [ -s "$1" ] && [ -d "/proc/$(cat "$1")" ]
}

node_state() {
  SLURM_CONF=$CONF timeout 5 sinfo --noheader --nodes="$NODE" --format=%T 2>/dev/null | head -n 1
}

running() {
  alive "$DIR/munged.pid" && alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" &&
    [[ "$(node_state)" == idle* || "$(node_state)" == mixed* || "$(node_state)" == allocated* ]]
}

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null || fail 4 "missing ${missing[*]} and no apt-get to install them"
  echo "slurm_local: installing ${missing[*]}" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}"; } >"$DIR/apt.log" 2>&1 ||
    fail 4 "apt-get install ${missing[*]} failed (see $DIR/apt.log)"
}

write_conf() {
  local cpus mem
  cpus=$(nproc --all)
  mem=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
  mkdir -p "$DIR/state" "$DIR/spool"
  cat >"$CONF.new" <<EOF
# Written by timerbisect's scripts/slurm_local.sh: a single-node test cluster.
ClusterName=timerbisect
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ReturnToService=2
KillWait=2
MinJobAge=5
InactiveLimit=0
NodeName=$NODE CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.new" "$CONF"
  if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
    return
  fi
  [ -e "$ETC_CONF" ] && fail 6 "$ETC_CONF exists and is not this script's; not touching a real cluster's configuration"
  mkdir -p /etc/slurm
  ln -s "$CONF" "$ETC_CONF"
}

start_munge() {
  alive "$DIR/munged.pid" && return
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key >/dev/null 2>&1 ||
    fail 5 "cannot create /etc/munge/munge.key"
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p "$MUNGE_SOCKET_DIR" /var/lib/munge /var/log/munge
  chown munge:munge "$MUNGE_SOCKET_DIR" /var/lib/munge /var/log/munge
  chmod 755 "$MUNGE_SOCKET_DIR"
  rm -f "$DIR/munged.pid"
  runuser -u munge -- /usr/sbin/munged --pid-file="$DIR/munged.pid.tmp" --force \
    >"$DIR/munged.out" 2>&1 || fail 5 "munged did not start: $(tail -n 1 "$DIR/munged.out")"
  # munged writes its pid file as the munge user, in a directory it may not own.
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  pgrep -u munge -x munged | head -n 1 >"$DIR/munged.pid"
  alive "$DIR/munged.pid" || fail 5 "munged did not start"
}

start_daemon() { # start_daemon NAME
  local name=$1
  alive "$DIR/$name.pid" && return
  rm -f "$DIR/$name.pid"
  "/usr/sbin/$name" -f "$CONF" >"$DIR/$name.out" 2>&1 ||
    fail 5 "$name did not start: $(tail -n 1 "$DIR/$name.log" 2>/dev/null)"
  for _ in $(seq 50); do alive "$DIR/$name.pid" && return; sleep 0.1; done
  fail 5 "$name did not start: $(tail -n 1 "$DIR/$name.log" 2>/dev/null)"
}

wait_idle() {
  local state=""
  for _ in $(seq $((IDLE_WAIT * 4))); do
    state=$(node_state)
    case $state in
      idle* | mixed* | allocated*) return ;;
      down* | drain*)
        SLURM_CONF=$CONF scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 ;;
    esac
    sleep 0.25
  done
  fail 5 "node $NODE not idle after ${IDLE_WAIT}s (state: ${state:-unknown}; logs in $DIR)"
}

stop_daemon() { # stop_daemon NAME: SIGTERM by pid, then SIGKILL
  local pidfile=$DIR/$1.pid pid
  alive "$pidfile" || { rm -f "$pidfile"; return; }
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$pidfile"
}

NODE=$(hostname -s)
case ${1:-} in
  start)
    [ "$(id -u)" -eq 0 ] || fail 3 "must run as root (it installs packages and starts slurmd as root)"
    mkdir -p "$DIR"
    if running; then exit 0; fi
    install_missing
    write_conf
    start_munge
    start_daemon slurmctld
    start_daemon slurmd
    wait_idle
    ;;
  stop)
    [ "$(id -u)" -eq 0 ] || fail 3 "must run as root"
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    ;;
  status)
    if running; then
      echo "slurm_local: node $NODE $(node_state); conf $CONF"
      exit 0
    fi
    echo "slurm_local: not running"
    exit 1
    ;;
  *)
    fail 2 "usage: scripts/slurm_local.sh {start|stop|status}"
    ;;
esac
