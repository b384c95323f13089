#!/usr/bin/env bash
# The full test suite, from a fresh machine: venv, native build, database servers, Rust and
# Python lints, cargo test, pytest. Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "database servers"
bash scripts/services.sh
step "venv + native module (maturin develop)"
bash scripts/setup.sh
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
step "long functions say why (issue 11)"
.venv/bin/python scripts/long_functions.py
step "cargo test"
cargo test --quiet
step "ruff"
.venv/bin/ruff check python tests examples bench
.venv/bin/ruff format --check python tests examples bench
step "mypy (package and native stubs)"
.venv/bin/mypy python/pytest_mrt
.venv/bin/python -m mypy.stubtest pytest_mrt._core --allowlist .mypy-stubtest-allowlist
step "pytest"
.venv/bin/pytest "$@"
