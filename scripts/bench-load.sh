#!/usr/bin/env bash
# Runs the measurements of docs/performance.md: SQLEnv (release build), a do-nothing WebSocket
# server (examples/null_ws.rs: the wire alone) and the OpenEnv Python reference echo server side
# by side at 1, 16, 64, 256 and 1,000 active sessions, all three playing the same episode shape
# (reset and five steps: SQLEnv's `explore` policy, DESCRIBE, SAMPLE, two small QUERYs and the
# answer, against `--echo-steps 5`), then oracle and random episodes at 64 sessions (real gold
# SQL, where SQLite is the work), 10,000 idle sessions, a soak of random episodes, and start-up
# time. JSON reports go to target/bench-results/, a summary table to
# stdout. Loopback only. Usage: bash scripts/bench-load.sh [SECONDS_PER_POINT]
# SOAK_EPISODES=0 skips the soak.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
out=target/bench-results
mkdir -p "$out"
cargo build --release --quiet --bin sqlenv --example null_ws
bin=target/release/sqlenv
port=18500
ref_port=18501
null_port=18502

# Waits for a port to accept, at most $2 seconds (default 10).
wait_port() {
    for _ in $(seq 1 $(( ${2:-10} * 40 ))); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.025
    done
    return 1
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# Start-up: from exec until the port accepts, five times.
for i in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$bin" serve --host 127.0.0.1 --port "$port" > "$out/startup-$i.log" 2>&1 &
    pid=$!
    wait_port "$port"
    t1=$(date +%s%N)
    echo "startup run $i: $(( (t1 - t0) / 1000000 )) ms" | tee -a "$out/startup.txt"
    kill "$pid"; wait "$pid" 2>/dev/null || true
done

"$bin" serve --host 127.0.0.1 --port "$port" --max-sessions 12000 --max-sessions-per-client 12000 > "$out/server.log" 2>&1 &
server=$!
bash scripts/bench-reference.sh "$ref_port" > "$out/reference.log" 2>&1 &
reference=$!
target/release/examples/null_ws "$null_port" > "$out/null.log" 2>&1 &
null=$!
trap 'kill $server $reference $null 2>/dev/null || true' EXIT
# The reference installs its virtual environment on its first run.
wait_port "$port"; wait_port "$null_port"; wait_port "$ref_port" 600; sleep 2

# 10,000 idle sessions on the server as started (its catalog loaded, no query run yet), held 30 s.
"$bin" load --quiet --idle --sessions 10000 --hold 30s --server-pid "$server" \
    --url "ws://127.0.0.1:$port/ws" \
    --json "$out/sqlenv-idle-10000.json" > "$out/sqlenv-idle-10000.txt"

for n in 1 16 64 256 1000; do
    before=$(cpu_ticks "$server")
    "$bin" load --quiet --url "ws://127.0.0.1:$port/ws" --sessions "$n" --duration "${secs}s" \
        --policy explore --server-pid "$server" --json "$out/sqlenv-explore-$n.json" > "$out/sqlenv-explore-$n.txt"
    echo "server_cpu_ticks $(( $(cpu_ticks "$server") - before ))" >> "$out/sqlenv-explore-$n.txt"
    "$bin" load --quiet --env echo --echo-steps 5 --url "ws://127.0.0.1:$null_port/ws" --sessions "$n" \
        --duration "${secs}s" --json "$out/null-$n.json" > "$out/null-$n.txt"
    "$bin" load --quiet --env echo --echo-steps 5 --url "ws://127.0.0.1:$ref_port/ws" --sessions "$n" \
        --duration "${secs}s" --json "$out/echo-$n.json" > "$out/echo-$n.txt"
    echo "done $n sessions" >&2
done
for policy in oracle random; do
    "$bin" load --quiet --url "ws://127.0.0.1:$port/ws" --sessions 64 --duration "${secs}s" \
        --policy "$policy" --server-pid "$server" --json "$out/sqlenv-$policy-64.json" > "$out/sqlenv-$policy-64.txt"
done
kill "$reference" "$null" 2>/dev/null || true

# 10,000 idle sessions, held 30 s, once more: after the active runs the server also holds the
# connections (and SQLite page caches) those opened on every database.
"$bin" load --quiet --idle --sessions 10000 --hold 30s --server-pid "$server" \
    --url "ws://127.0.0.1:$port/ws" \
    --json "$out/sqlenv-idle-10000-after.json" > "$out/sqlenv-idle-10000-after.txt"

# Soak: random episodes, RSS sampled every second.
if [ "${SOAK_EPISODES:-300000}" != 0 ]; then
    "$bin" load --quiet --url "ws://127.0.0.1:$port/ws" --sessions 64 \
        --episodes "${SOAK_EPISODES:-300000}" --policy random --rss-interval 5s \
        --server-pid "$server" --json "$out/sqlenv-soak.json" > "$out/sqlenv-soak.txt"
fi

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) else None
def row(r, kind="all steps"):
    return next((x for x in r["latency"] if x["kind"] == kind), None)
print("| sessions | SQLEnv steps/s | p50 ms | p99 ms | errors | do-nothing steps/s | ours / do-nothing "
      "| reference steps/s | p50 ms | p99 ms | errors | ours / reference |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in [1, 16, 64, 256, 1000]:
    s, z, e = load(f"sqlenv-explore-{n}.json"), load(f"null-{n}.json"), load(f"echo-{n}.json")
    if not s or not z or not e:
        continue
    err = lambda r: sum(r["error_frames"].values()) + r["transport_errors"] + r["connect_errors"]
    a, b = row(s), row(e)
    rate = lambda r: max(r["steps_per_sec"], 1e-9)
    print(f"| {n} | {s['steps_per_sec']:.0f} | {a['p50_ms']:.2f} | {a['p99_ms']:.2f} | {err(s)} | "
          f"{z['steps_per_sec']:.0f} | {s['steps_per_sec'] / rate(z):.2f} | "
          f"{e['steps_per_sec']:.0f} | {b['p50_ms']:.2f} | {b['p99_ms']:.2f} | {err(e)} | "
          f"{s['steps_per_sec'] / rate(e):.1f}x |")
for name in ["sqlenv-oracle-64.json", "sqlenv-random-64.json", "sqlenv-idle-10000.json",
             "sqlenv-idle-10000-after.json", "sqlenv-soak.json"]:
    r = load(name)
    if r and r.get("server"):
        m = r["server"]
        p99 = row(r)["p99_ms"] if row(r) else 0
        print(f"{name}: sessions {r['sessions_connected']}, episodes {r['episodes']}, steps {r['steps']} "
              f"({r['steps_per_sec']:.0f}/s, p99 {p99:.2f} ms), "
              f"RSS MiB before {m['rss_before_mib']:.1f} start {m['rss_start_mib']:.1f} mid {m['rss_mid_mib']:.1f} "
              f"end {m['rss_end_mib']:.1f} peak {m['peak_rss_mib']:.1f}, per session KiB {m['kib_per_session']}, "
              f"after close {m['rss_after_close_mib']}")
PY
