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
  # TIMERBISECT_SHIM in a section of its own, not run into the exit codes,
  # and a SYNOPSIS.
  for page in timerbisect timerbisect-triage timerbisect-sites timerbisect-env; do
    grep -q '^\.SH ENVIRONMENT' "$prefix/share/man/man1/$page.1" || {
      echo "no ENVIRONMENT section in $page.1" >&2
      exit 1
    }
    # help2man found the usage lines (not read as description).
    grep -q '^\.SH SYNOPSIS' "$prefix/share/man/man1/$page.1" || {
      echo "no SYNOPSIS section in $page.1" >&2
      exit 1
    }
    # docs/man/*.h2m went in: the exit codes in a section of their own,
    # and the shim's variables under ENVIRONMENT.
    grep -q '^\.SH "EXIT STATUS"' "$prefix/share/man/man1/$page.1" || {
      echo "no EXIT STATUS section in $page.1" >&2
      exit 1
    }
    grep -q '^\.B TIMERSEM$' "$prefix/share/man/man1/$page.1" || {
      echo "no TIMERSEM in the ENVIRONMENT section of $page.1" >&2
      exit 1
    }
  done
fi
echo "install tree ok"
