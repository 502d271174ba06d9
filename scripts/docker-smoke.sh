#!/usr/bin/env bash
# Smoke test of the Docker image: build it, run it, wait until it is healthy, play a WebSocket
# episode with the image's own load generator (`sqlenv load --strict`), then the HTTP surface
# through the published port (stateless /reset and /step, a whole MCP session: create, tool
# calls, answer, close), check that `docker stop` shuts it down cleanly, and remove everything.
# Needs a Docker engine and python3 (standard library only).
#
#   scripts/docker-smoke.sh            # image tag sqlenv:smoke, host port 18000
#   IMAGE=sqlenv:dev HOST_PORT=8080 scripts/docker-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-sqlenv:smoke}
HOST_PORT=${HOST_PORT:-18000}
HEALTH_TIMEOUT_SECS=${HEALTH_TIMEOUT_SECS:-60}
container="sqlenv-smoke-$$"
base_url="http://127.0.0.1:${HOST_PORT}"

log() { printf '[docker-smoke] %s\n' "$*" >&2; }

cleanup() {
  local status=$?
  if docker container inspect "$container" >/dev/null 2>&1; then
    if [ "$status" -ne 0 ]; then
      log "container logs:"
      docker logs "$container" >&2 || true
    fi
    docker rm --force "$container" >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v docker >/dev/null || { log "docker not found: this script needs a Docker engine"; exit 1; }
command -v python3 >/dev/null || { log "python3 not found"; exit 1; }

log "building $IMAGE"
docker build --tag "$IMAGE" .

log "starting $container on port $HOST_PORT"
docker run --detach --name "$container" --publish "127.0.0.1:${HOST_PORT}:8000" "$IMAGE" >/dev/null

log "waiting for the container to be healthy (at most ${HEALTH_TIMEOUT_SECS} s)"
healthy=""
for _ in $(seq 1 "$HEALTH_TIMEOUT_SECS"); do
  running=$(docker container inspect --format '{{.State.Running}}' "$container")
  if [ "$running" != "true" ]; then
    log "container exited early"
    exit 1
  fi
  # The image's own probe, run inside the container: checks the data and GET /health.
  if docker exec "$container" sqlenv healthcheck >/dev/null 2>&1; then
    healthy=yes
    break
  fi
  sleep 1
done
if [ -z "$healthy" ]; then
  log "not healthy after ${HEALTH_TIMEOUT_SECS} s"
  exit 1
fi
docker exec "$container" sqlenv healthcheck >&2

log "playing an oracle episode over WebSocket with the load generator"
docker exec "$container" sqlenv load --url ws://127.0.0.1:8000/ws --sessions 1 --episodes 1 \
  --policy oracle --quiet --strict >&2

log "playing an episode over HTTP and MCP against $base_url"
python3 - "$base_url" <<'PY'
import json
import sys
import urllib.request

base = sys.argv[1]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, (path, response.status)
        return json.load(response)


def rpc(id_, method, params):
    reply = call("POST", "/mcp", {"jsonrpc": "2.0", "id": id_, "method": method, "params": params})
    assert "error" not in reply, reply
    return reply["result"]


health = call("GET", "/health")
assert health["status"] == "healthy", health
assert call("GET", "/metadata")["name"] == "sqlenv"

# Stateless HTTP endpoints: each request is a fresh episode.
reset = call("POST", "/reset", {"seed": 7})
assert reset["done"] is False and reset["observation"]["question"], reset
step = call("POST", "/step", {"action": {"action_type": "QUERY", "argument": "SELECT 1"}})
assert "observation" in step and "reward" in step, step

# A whole episode in one MCP session.
created = rpc(1, "openenv/session/create", {"seed": 7, "db_id": "singer"})
session = created["session_id"]
observation = created["observation"]["observation"]
table = observation["tables"][0]
print("question:", observation["question"])


def tool(id_, name, arguments):
    result = rpc(id_, "tools/call", {"name": name, "arguments": arguments, "session_id": session})
    assert result["isError"] is False, result
    return result["structuredContent"]


tool(2, "describe", {"table_name": table})
tool(3, "sample", {"table_name": table})
counted = tool(4, "query", {"sql": f'SELECT count(*) FROM "{table}"'})
assert counted["done"] is False, counted
answered = tool(5, "answer", {"value": "0"})
assert answered["done"] is True, answered
closed = rpc(6, "openenv/session/close", {"session_id": session})
assert closed["closed"] is True, closed
print("episode done: steps", answered["step_count"])  # MCP results carry no reward
PY

log "stopping (SIGTERM; graceful shutdown)"
started=$(date +%s)
docker stop --time 15 "$container" >/dev/null
exit_code=$(docker container inspect --format '{{.State.ExitCode}}' "$container")
log "stopped in $(( $(date +%s) - started )) s with exit code $exit_code"
if [ "$exit_code" != "0" ]; then
  log "expected exit code 0 after SIGTERM"
  exit 1
fi

log "ok"
