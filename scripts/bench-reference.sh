#!/usr/bin/env bash
# Creates and runs the OpenEnv Python reference server that docs/performance.md compares SQLEnv
# with: the echo environment `openenv init` generates (openenv-core 0.3.0), served by
# `uvicorn --workers 2`. Usage: bash scripts/bench-reference.sh [PORT]   (default 8001)
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8001}"
venv=target/bench-venv
dir=target/bench-ref
if [ ! -x "$venv/bin/openenv" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q openenv-core==0.3.0 uvicorn
fi
if [ ! -d "$dir/echo_ref" ]; then
    mkdir -p "$dir"
    (cd "$dir" && ../bench-venv/bin/openenv init echo_ref)
    # The template allows one WebSocket session per worker ("increase this number to allow more
    # concurrent WebSocket sessions"); the benchmark needs up to 1,000.
    sed -i 's/max_concurrent_envs=1,/max_concurrent_envs=1024,/' "$dir/echo_ref/server/app.py"
fi
cd "$dir/echo_ref"
exec ../../bench-venv/bin/uvicorn server.app:app --host 127.0.0.1 --port "$port" \
    --workers 2 --log-level warning
