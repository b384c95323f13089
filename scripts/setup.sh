#!/usr/bin/env bash
# Create .venv (once), install the build and test tools, and build the native module from
# source into it (incremental: cargo's target/ is reused).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv 2>/dev/null || {
    echo "setup: installing python3-venv" >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv >/dev/null; fi
    "$PYTHON" -m venv .venv
  }
fi
# The native module links the system SQLite, the library Python's sqlite3 module uses.
if ! compgen -G "/usr/lib/*/libsqlite3.so" >/dev/null && [ ! -e /usr/lib/libsqlite3.so ]; then
  echo "setup: installing libsqlite3-dev" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libsqlite3-dev >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq libsqlite3-dev >/dev/null; fi
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements-dev.txt
# `maturin develop` builds src/ into python/pytest_mrt/_core.*.so and installs the package
# (with its pytest11 entry point and `mrt` script) into the venv in editable mode. Cargo's
# progress stays visible (a first build takes minutes); maturin's banner lines and pip's
# "Requirement already satisfied" lines do not.
VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop ${MATURIN_ARGS:-} 2>&1 \
  | grep --line-buffered -v -e '^📦\|^🔗\|^🐍\|^💻\|^🍹\|^📖\|^📡\|^✏️' \
      -e '^Requirement already satisfied' -e '^Looking in links' -e "^Ignoring .*: markers" >&2 || true
.venv/bin/python -c 'import pytest_mrt._core' || { echo "setup: native module failed to build" >&2; exit 1; }
