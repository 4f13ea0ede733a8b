#!/bin/sh
# coding: pex-archive-truncated-or-damaged.rebuild-it-or-download-it-again
# (Python reads the line above only when this file is not a readable zip: its one-line
# "encoding problem" error then says what to do, where a SyntaxError would show sh code.)
# pex-nx archive: this sh preamble, then a zip that Python can run (`python x.pex`).
# Warm runs exec the cached venv with no Python started here; only builtins, no forks.
# The build renders the contract (pexnx/contract.json) into the tokens: the case word lists
# its override variables as `${NAME-}` expansions; the venvs dir is nx1/<pex_hash[:16]>.
case "@OVERRIDES@" in
'')
  if [ -n "${PEX_ROOT-}" ]; then
    _pexnx_venv=$PEX_ROOT
  elif [ -n "${XDG_CACHE_HOME-}" ]; then
    _pexnx_venv=$XDG_CACHE_HOME/pex
  elif [ -n "${HOME-}" ]; then
    _pexnx_venv=$HOME/.cache/pex
  else
    # No HOME: only Python can ask the password database, so leave it to the cold path.
    _pexnx_venv=
  fi
  if [ -n "$_pexnx_venv" ]; then
    _pexnx_venv=$_pexnx_venv/@VENVS@/sh
    # -x follows symlinks, so a venv whose base interpreter vanished fails here.
    if [ -x "$_pexnx_venv/pex" ] && [ -x "$_pexnx_venv/bin/python" ]; then
      case $0 in
        /*) PEX=$0 ;;
        *) PEX=$PWD/${0#./} ;;
      esac
      export PEX
      exec "$_pexnx_venv/pex" "$@"
    fi
  fi
  ;;
esac
# A pyenv shim costs a bash start and `pyenv exec` (~0.3 s, more than the rest of a first
# run). Find the version it would run, as pyenv does (PYENV_VERSION, else the nearest
# .python-version up from $PWD, else the global version file), and use that interpreter
# directly. Anything unusual (several versions, `system`, a prefix) keeps the shim.
_pexnx_unshim() {
  [ "$1" = "${PYENV_ROOT:-$1}" ] || return 0
  _pexnx_version=${PYENV_VERSION-}
  if [ -z "$_pexnx_version" ]; then
    _pexnx_file=
    _pexnx_up=$PWD
    while :; do
      if [ -f "$_pexnx_up/.python-version" ]; then
        _pexnx_file=$_pexnx_up/.python-version
        break
      fi
      [ -n "$_pexnx_up" ] || break
      _pexnx_up=${_pexnx_up%/*}
    done
    [ -n "$_pexnx_file" ] || _pexnx_file=$1/version
    [ -f "$_pexnx_file" ] && read -r _pexnx_version _pexnx_more < "$_pexnx_file"
  fi
  case $_pexnx_version in
    system) return 0 ;;
    *:*) return 0 ;;
    */*) return 0 ;;
  esac
  if [ -n "$_pexnx_version" ] && [ -x "$1/versions/$_pexnx_version/bin/$_pexnx_python" ]; then
    _pexnx_python_path=$1/versions/$_pexnx_version/bin/$_pexnx_python
  fi
}
# Cold path: start Python on this archive; it selects the interpreter properly. A versioned
# name found only as a version-manager shim (pyenv, asdf: .../shims) goes last, because
# such a shim fails when its version is not the active one.
for _pexnx_shims in no yes; do
  for _pexnx_python in @PYTHONS@; do
    _pexnx_path=$PATH:
    while [ -n "$_pexnx_path" ]; do
      _pexnx_dir=${_pexnx_path%%:*}
      _pexnx_path=${_pexnx_path#*:}
      case $_pexnx_python:$_pexnx_dir in
        python3.*:*/shims) [ "$_pexnx_shims" = yes ] || continue ;;
        *) [ "$_pexnx_shims" = no ] || continue ;;
      esac
      _pexnx_python_path=${_pexnx_dir:-.}/$_pexnx_python
      case $_pexnx_dir in
        */shims) _pexnx_unshim "${_pexnx_dir%/shims}" ;;
      esac
      if [ -f "$_pexnx_python_path" ] && [ -x "$_pexnx_python_path" ]; then
        __PEXNX_SH=1
        export __PEXNX_SH
        # -S: the bootstrap needs only the stdlib, so skip site (and slow .pth files).
        exec "$_pexnx_python_path" -S "$0" "$@"
      fi
    done
  done
done
printf 'pex: none of @PYTHONS@ is on PATH, %s: install Python 3 or add it to PATH\n' "$0" >&2
exit 127
