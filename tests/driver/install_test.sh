#!/bin/sh
# `cmake --install` into a temporary prefix: the installed driver finds the
# installed shim and bisects an example with it; the bash completion parses;
# the man pages are there.
# Usage: install_test.sh CMAKE BUILD_DIR EXAMPLE
set -eu
cmake=$1 build=$2 example=$3
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
env_out=$("$prefix/bin/timerbisect" env --mode new)
case "$env_out" in
  *"LD_PRELOAD=$prefix/lib/timerbisect/libtimerbisect.so"*) ;;
  *) echo "installed driver did not find the installed shim: $env_out" >&2; exit 1 ;;
esac
"$prefix/bin/timerbisect" -q -- "$example" >"$prefix/out.txt" || {
  echo "installed driver did not find the example's culprit:" >&2
  cat "$prefix/out.txt" >&2
  exit 1
}
grep -q "LD_PRELOAD=$prefix/lib/timerbisect/libtimerbisect.so" "$prefix/out.txt"
bash -n "$prefix/share/bash-completion/completions/timerbisect"
# The man pages (when help2man made them): the command's and each
# subcommand's, each naming its own subcommand.
if [ -e "$build/timerbisect.1" ]; then
  for sub in triage sites env; do
    page="$prefix/share/man/man1/timerbisect-$sub.1"
    upper=$(echo "$sub" | tr a-z A-Z)
    grep -q "^\.TH TIMERBISECT-$upper " "$page" || {
      echo "no man page for timerbisect $sub at $page" >&2
      exit 1
    }
  done
  [ -e "$prefix/share/man/man1/timerbisect.1" ] || { echo "no timerbisect.1" >&2; exit 1; }
  # Each page has a line matching $2 (grep -e), else says it lacks $3.
  page_has() {
    grep -q -e "$2" "$prefix/share/man/man1/$1.1" || {
      echo "no $3 in $1.1" >&2
      exit 1
    }
  }
  for page in timerbisect timerbisect-triage timerbisect-sites timerbisect-env; do
    # TIMERBISECT_SHIM in a section of its own, not run into the exit codes;
    # help2man found the usage lines (not read as description); and
    # docs/man/*.h2m went in: the exit codes in a section of their own, the
    # shim's variables under ENVIRONMENT.
    page_has "$page" '^\.SH ENVIRONMENT' "ENVIRONMENT section"
    page_has "$page" '^\.SH SYNOPSIS' "SYNOPSIS section"
    page_has "$page" '^\.SH "EXIT STATUS"' "EXIT STATUS section"
    page_has "$page" '^\.B TIMERSEM$' "TIMERSEM in the ENVIRONMENT section"
  done
fi
echo "install tree ok"
