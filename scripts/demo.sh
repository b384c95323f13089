#!/usr/bin/env bash
# The demo, from a fresh machine: build pytest-mrt, then run both checks on examples/blog with
# the embedded default database (a temporary SQLite file). The example ships unsafe migrations
# on purpose, so the demo succeeds when pytest-mrt *finds* them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd examples/blog

printf '\n=== static check: mrt check migrations/versions\n'
set +e
../../.venv/bin/mrt check migrations/versions
static_exit=$?
set -e

printf '\n=== dynamic check on SQLite: pytest -v -s\n'
../../.venv/bin/pytest -v -s -p no:cacheprovider

if [ "$static_exit" -ne 1 ]; then
  echo "demo: expected 'mrt check' to exit 1 on the unsafe migrations, got $static_exit" >&2
  exit 1
fi
printf '\ndemo: OK - the static check flagged the unsafe migrations (exit 1) and the rollback test\n'
printf 'caught the revisions whose downgrade loses data (the two xfailed tests above).\n'
