#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests, then the official OpenEnv Python client
# and `openenv validate` against the real server, and a check that no database file changed.
# Installs what it needs (a Python venv under target/) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

hash_databases() { find data/databases -type f -name '*.sqlite' -print0 | sort -z | xargs -0 sha256sum; }
before=$(hash_databases)

cargo test --all-targets

venv=target/py-venv
if [ ! -x "$venv/bin/pytest" ] || ! "$venv/bin/python" -c 'import openenv' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
fi
SQLENV_BIN="$PWD/target/debug/sqlenv" "$venv/bin/pytest" -q tests/python

# The browser playground, played end to end in headless Chromium (installs what it needs).
SQLENV_BIN="$PWD/target/debug/sqlenv" bash scripts/test-e2e.sh

after=$(hash_databases)
if [ "$before" != "$after" ]; then
  echo "database files changed during the tests:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "database files unchanged ($(echo "$after" | wc -l) files)"
