#!/usr/bin/env bash
# The long fuzz run: the same target as `cargo test fuzz` (src/fuzz.rs), with many more
# inputs. Usage: bash scripts/fuzz_long.sh [CASES] [SEED]   (default 200000 cases, seed: time)
# Prints how many inputs it tried and every failure (a panic, or output that is not sane).
set -euo pipefail
cd "$(dirname "$0")/.."
export MRT_FUZZ_CASES="${1:-200000}"
export MRT_FUZZ_SEED="${2:-$(date +%s)}"
echo "fuzz: $MRT_FUZZ_CASES inputs, seed $MRT_FUZZ_SEED" >&2
cargo test --quiet --lib fuzz_scan_fix_explain -- --nocapture
