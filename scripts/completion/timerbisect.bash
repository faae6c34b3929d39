# bash completion for timerbisect (installed to
# share/bash-completion/completions/timerbisect by `cmake --install`).
# Completes subcommands, each subcommand's flags, file names for the flags
# that take a file, and the command after `--`.
_timerbisect() {
  local cur prev words cword
  _init_completion || return

  local i sub="" dashdash=0
  for ((i = 1; i < cword; i++)); do
    case "${words[i]}" in
      --) dashdash=$i; break ;;
      bisect | triage | sites | env) [[ -z $sub ]] && sub=${words[i]} ;;
    esac
  done
  if ((dashdash > 0)); then
    # After --: the test command and its arguments.
    _command_offset $((dashdash + 1))
    return
  fi

  # bisect's flags; triage takes them all but --env and --godebug (a
  # protocol target's), which it rejects.
  local common_flags="--shell --timeout --fail-on --fail-exit --count --max --maxset
    --algorithm --confidence --max-runs -j --jobs --json --journal --shim --aspects
    --depth --scope --short --lag -q --quiet -v --verbose --launcher --launcher-arg --partition
    --time-limit --help"
  local bisect_flags="$common_flags --env --godebug"
  case "$prev" in
    --json | --journal | --junit | --shim | --from-json) _filedir; return ;;
    --algorithm) COMPREPLY=($(compgen -W "auto id suffix adaptive" -- "$cur")); return ;;
    --aspects) COMPREPLY=($(compgen -W "stale latency stale,latency" -- "$cur")); return ;;
    --mode) COMPREPLY=($(compgen -W "old new" -- "$cur")); return ;;
    --timeout) COMPREPLY=($(compgen -W "30s 2m none" -- "$cur")); return ;;
    --launcher) COMPREPLY=($(compgen -W "local slurm" -- "$cur")); return ;;
  esac
  local flags
  case "$sub" in
    "") flags="$bisect_flags --version" ;;
    bisect) flags="$bisect_flags" ;;
    triage) flags="$common_flags --junit --budget --no-bisect" ;;
    sites) flags="--shell --json --scope --depth --short --timeout --shim --launcher --launcher-arg
      --partition --time-limit --help" ;;
    env) flags="--mode --sites --from-json --set --shim --help" ;;
  esac
  if [[ -z $sub && $cur != -* ]]; then
    COMPREPLY=($(compgen -W "bisect triage sites env help" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$flags --" -- "$cur"))
}
complete -F _timerbisect timerbisect
