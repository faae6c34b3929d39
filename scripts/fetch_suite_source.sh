#!/usr/bin/env bash
# Fetches Debian's source package of an event-loop library and builds the
# library's own test runner from it, linked with the library built beside
# it as a shared library (so that an LD_PRELOAD shim can interpose the
# library's functions). Used by scripts/third_party_suite.sh.
#   libuv     source package libuv1, CMake, runner uv_run_tests
#             (LIBUV_BUILD_TESTS=ON; linked with libuv.so);
#   libevent  source package libevent, CMake, runner bin/regress (linked
#             with libevent_core/extra/pthreads-2.1.so).
# The source comes through apt-get with a private apt state under DIR: its
# own sources.list (deb-src of this machine's Debian release on
# deb.debian.org, with -security and -updates), package lists and cache.
# The system's apt configuration, lists and cache are not touched, and no
# root is needed.
#
# usage: scripts/fetch_suite_source.sh --suite libuv|libevent --dir DIR
#   DIR/SUITE/ keeps the private apt state (apt/), the extracted source
#   (src/) and the build tree (build/). A second call with the same DIR
#   fetches nothing and builds only what changed.
# On success prints two lines on stdout, "runner PATH" and "version V"
# (the Debian source version), and exits 0. Exit 1 when the source does
# not build, 2 on usage errors, 77 (skipped) when the source cannot be
# fetched or a tool is missing: one line on stderr says why and what to do.
# Progress goes to stderr; build output to DIR/SUITE/*.log.
set -u

suite=""
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite="${2:-}"; shift 2 || shift ;;
    --dir) dir="${2:-}"; shift 2 || shift ;;
    *) echo "fetch_suite_source: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
case "$suite" in
  libuv) package=libuv1 ;;
  libevent) package=libevent ;;
  *) echo "fetch_suite_source: --suite libuv|libevent is required (got '${suite}')" >&2; exit 2 ;;
esac
if [ -z "$dir" ]; then
  echo "fetch_suite_source: --dir DIR is required" >&2
  exit 2
fi

skip() {
  echo "fetch_suite_source: $*; skipped" >&2
  exit 77
}
for tool in apt-get dpkg-source cmake cc; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool not found: install apt, dpkg-dev, cmake and gcc (scripts/dev.sh setup)"
done
if [ "$suite" = libevent ] && ! command -v python3 >/dev/null 2>&1; then
  # libevent's CMake builds test/regress only when it finds Python.
  skip "python3 not found (libevent's CMake builds test/regress only with it): install python3 (scripts/dev.sh setup)"
fi

mkdir -p "$dir/$suite" || { echo "fetch_suite_source: cannot create $dir/$suite" >&2; exit 2; }
top="$(cd "$dir/$suite" && pwd)"
src="$top/src"
build="$top/build"

# --- fetch: private apt state, apt-get source, dpkg-source -x ---
if [ ! -f "$src/.timerbisect-extracted" ]; then
  # shellcheck disable=SC1091
  codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
  [ -n "$codename" ] || skip "no VERSION_CODENAME in /etc/os-release: not a Debian release this script knows how to fetch sources for"
  apt="$top/apt"
  rm -rf "$apt" "$src" "$top/download"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$top/download"
  {
    echo "deb-src http://deb.debian.org/debian $codename main"
    echo "deb-src http://deb.debian.org/debian $codename-updates main"
    echo "deb-src http://deb.debian.org/debian-security $codename-security main"
  } >"$apt/sources.list"
  aptopts=(
    -o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
    -o Acquire::Retries=2 -o Acquire::http::Timeout=30 -o Acquire::Languages=none
  )
  # As root apt downloads as user _apt, who cannot write into a private
  # directory; the files are ours either way.
  [ "$(id -u)" -eq 0 ] && aptopts+=(-o APT::Sandbox::User=root)
  echo "fetch_suite_source: $suite: fetching Debian's $codename source index (private apt state in $apt)" >&2
  if ! apt-get "${aptopts[@]}" -q update >"$top/fetch.log" 2>&1 ||
      grep -q '^\(W\|E\): \(Failed to fetch\|Some index files failed\)' "$top/fetch.log"; then
    skip "cannot fetch Debian's source index from deb.debian.org (no network?): $(grep -m1 '^\(W\|E\):' "$top/fetch.log" | cut -c1-200); see $top/fetch.log, and run again with network"
  fi
  echo "fetch_suite_source: $suite: apt-get source $package" >&2
  if ! (cd "$top/download" && apt-get "${aptopts[@]}" -q source --download-only "$package") \
      >>"$top/fetch.log" 2>&1; then
    skip "apt-get source $package failed: $(grep -m1 '^\(W\|E\):' "$top/fetch.log" | cut -c1-200); see $top/fetch.log"
  fi
  dsc=""
  for f in "$top/download"/*.dsc; do
    [ -f "$f" ] && dsc="$f" && break
  done
  [ -n "$dsc" ] || skip "apt-get source $package left no .dsc in $top/download; see $top/fetch.log"
  # dpkg-source applies Debian's patches, as Debian's build does.
  if ! dpkg-source -x "$dsc" "$src" >>"$top/fetch.log" 2>&1; then
    echo "fetch_suite_source: dpkg-source -x $dsc failed; see $top/fetch.log" >&2
    exit 1
  fi
  sed -n 's/^Version: //p' "$dsc" >"$src/.timerbisect-extracted"
  # The .dsc, tarballs and package lists are no longer needed.
  rm -rf "$top/download" "$apt"
fi
version="$(cat "$src/.timerbisect-extracted")"

# --- build: the library shared, its test runner linked with it ---
# -O2 without NDEBUG, as Debian builds them (the libraries' assert()s stay).
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
cflags="-O2"
case "$suite" in
  libuv)
    target=uv_run_tests
    runner="$build/uv_run_tests"
    config=(-DBUILD_TESTING=ON -DLIBUV_BUILD_TESTS=ON)
    ;;
  libevent)
    target=regress
    runner="$build/bin/regress"
    # libevent's CMake build hides every symbol not marked for export;
    # Debian's (autotools) exports them all, and test/regress calls
    # internal functions Debian's security patches left unmarked
    # (evhttp_str_is_chunked_). Export everything, as Debian's library does.
    # (Written once: a new mtime would rebuild everything.)
    [ -f "$top/export_all.h" ] || echo '#pragma GCC visibility push(default)' >"$top/export_all.h"
    config=(-DEVENT__LIBRARY_TYPE=SHARED -DEVENT__DISABLE_OPENSSL=ON -DEVENT__DISABLE_MBEDTLS=ON
            -DEVENT__DISABLE_BENCHMARK=ON -DEVENT__DISABLE_SAMPLES=ON)
    cflags="$cflags -include $top/export_all.h"
    ;;
esac
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "fetch_suite_source: $suite $version: configuring" >&2
  if ! cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=None "-DCMAKE_C_FLAGS=$cflags" \
      "${config[@]}" >"$top/configure.log" 2>&1; then
    rm -rf "$build"
    echo "fetch_suite_source: configuring $suite $version failed; see $top/configure.log" >&2
    exit 1
  fi
fi
echo "fetch_suite_source: $suite $version: building $target (-j2)" >&2
if ! cmake --build "$build" -j2 --target "$target" >"$top/build.log" 2>&1; then
  echo "fetch_suite_source: building $suite $version failed: $(grep -m1 -i 'error' "$top/build.log" | cut -c1-200); see $top/build.log" >&2
  exit 1
fi
if [ ! -x "$runner" ]; then
  echo "fetch_suite_source: $suite $version built, but $runner is missing; see $top/build.log" >&2
  exit 1
fi
echo "runner $runner"
echo "version $version"
