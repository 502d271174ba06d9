#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests, then the official OpenEnv Python client,
# the typed client (clients/python), `openenv validate` and the training notebook in smoke mode
# against the real server, the README's and the docs' examples, the playground in headless
# Chromium (also framed the way a Hugging Face Space shows it), and a check that no database file
# changed. Installs what it needs (a Python venv under target/, Chromium) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

hash_databases() { find data/databases -type f -name '*.sqlite' -print0 | sort -z | xargs -0 sha256sum; }
before=$(hash_databases)

# The Python client (clients/python, installed editable) and the training notebook's requirements
# (PyTorch from PyPI, TRL, ...: notebooks/requirements-train.txt) go into one venv; a package that
# no longer imports triggers a reinstall. SQLENV_TRAIN_NOTEBOOK=0 skips the training requirements
# and the notebook's smoke run (tests/python/test_train_notebook.py). A second small venv holds
# openenv-core 0.3 (see below). uv installs both (one resolution, parallel downloads, no bytecode
# compiling) and leaves out what a CPU-only run never loads (tests/python/excludes-cpu.txt:
# Triton, 1 GB). The installs (minutes of downloads on a fresh machine) run while cargo builds
# and tests.
venv=target/py-venv
core03=target/py-venv-core03
train_notebook=${SQLENV_TRAIN_NOTEBOOK:-1}
# A venv with uv in it (pip installs uv; uv installs the rest into that venv's interpreter).
uv_venv() {
  [ -x "$1/bin/uv" ] || { python3 -m venv "$1" && "$1/bin/pip" install --quiet --disable-pip-version-check uv; }
}
uv_install() {
  local env=$1
  shift
  "$env/bin/uv" pip install --quiet --python "$env/bin/python" "$@"
}
setup_venv() {
  local reqs=(-r tests/python/requirements.txt)
  local imports='import openenv.validation, mcp, sqlenv_client'
  if [ "$train_notebook" = 1 ]; then
    reqs+=(-r notebooks/requirements-train.txt --excludes tests/python/excludes-cpu.txt)
    imports+=', torch, trl, transformers, datasets, matplotlib, nbclient, ipykernel'
  fi
  if [ ! -x "$venv/bin/pytest" ] || ! "$venv/bin/python" -c "$imports" 2>/dev/null; then
    uv_venv "$venv"
    uv_install "$venv" "${reqs[@]}"
  fi
  # openenv-core and pytest; the client with --no-deps, as the trainers that pin 0.3 install it.
  if ! "$core03/bin/python" -c 'import openenv.core, sqlenv_client' 2>/dev/null; then
    uv_venv "$core03"
    uv_install "$core03" openenv-core==0.3.0 'pytest>=8,<9'
    uv_install "$core03" --no-deps -e clients/python
  fi
}
mkdir -p target
setup_venv > target/py-venv-setup.log 2>&1 &
venv_setup=$!
trap 'kill "$venv_setup" 2>/dev/null || true' EXIT

cargo test --all-targets

if ! wait "$venv_setup"; then
  echo "setting up the Python venv failed:" >&2
  cat target/py-venv-setup.log >&2
  exit 1
fi
SQLENV_TRAIN_NOTEBOOK="$train_notebook" SQLENV_BIN="$PWD/target/debug/sqlenv" "$venv/bin/pytest" -q tests/python

# The official client tests once more against openenv-core 0.3, for trainers that pin it (its
# venv is set up above), about 40 s per run. The 20-client test is left out here: 0.3's sync
# wrapper takes 10 s to tear down each client (its loop thread's join timeouts; its async close
# takes milliseconds), 80 s that test nothing of the server.
SQLENV_BIN="$PWD/target/debug/sqlenv" "$core03/bin/pytest" -q -k 'not many_clients' \
  tests/python/test_openenv_client.py tests/python/test_client.py tests/python/test_client_helpers.py

# The examples of the README and the docs, as written (fenced blocks marked `run`).
"$venv/bin/python" scripts/doc-examples.py --bin "$PWD/target/debug/sqlenv" --python "$venv/bin/python"

# The browser playground, played end to end in headless Chromium (installs what it needs).
SQLENV_BIN="$PWD/target/debug/sqlenv" bash scripts/test-e2e.sh

after=$(hash_databases)
if [ "$before" != "$after" ]; then
  echo "database files changed during the tests:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "database files unchanged ($(echo "$after" | wc -l) files)"
