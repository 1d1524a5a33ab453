#!/usr/bin/env bash
# Overload on loopback: CONNECTIONS connections (default 1024) in a closed loop of single-sample
# JSON infer requests to the seed model, with dynamic batching, after a warm-up at 64 connections.
# Two runs of SECONDS each: wrk, with a Lua script that counts the answers by status, and
# ClosedLoopLoad (benchmarks module: dev.dualnet.benchmarks.server), which also keeps the latency of
# the 2xx answers apart from the rest (wrk's own latency figures mix every answer, fast 503 refusals
# included).
#
#   bench/overload.sh [SECONDS] [CONNECTIONS]     (defaults 30 and 1024)
#
# CLIENT=wrk or CLIENT=java runs only that one (default both; wrk needs 'apt-get install wrk');
# WARMUP_SECONDS (default 30) at 64 connections first. Output lines:
#   overload client=wrk connections=N seconds=S requests/s_2xx=X 2xx=N 503=N other_non2xx=N socket_errors=N (connect N, read N, write N, timeout N) all_p99_ms=X
#   overload client=java connections=N seconds=S requests/s_2xx=X 2xx=N 503=N other_non2xx=N [(STATUS:N,...)] socket_errors=N (connect N, read N, write N, timeout N)
#   overload client=java 2xx_p50_ms=X 2xx_p99_ms=X 2xx_max_ms=X 503_p50_ms=X 503_p99_ms=X 503_max_ms=X
#   overload connections=N answered_2xx_p99_ms=X 503=N other_non2xx=N socket_errors=N target(p99 of answered<250ms, excess gets 503)=met|not met
# The target: the 2xx answers' p99 under 250 ms and every other request answered 503 (no other
# status, no socket errors or 10 s timeouts). A request timeout is 10 s for both clients.
set -euo pipefail
usage() { echo "usage: bench/overload.sh [SECONDS] [CONNECTIONS]   (defaults 30 and 1024)" >&2; exit 2; }
[ $# -le 2 ] || usage
seconds=${1:-30}
connections=${2:-1024}
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] || usage
[[ "$connections" =~ ^[0-9]+$ ]] && [ "$connections" -ge 2 ] && [ "$connections" -le 20000 ] || usage
client=${CLIENT:-both}
case "$client" in both|wrk|java) ;; *) echo "CLIENT must be both, wrk or java" >&2; usage ;; esac
warmup=${WARMUP_SECONDS:-30}
[[ "$warmup" =~ ^[0-9]+$ ]] && [ "$warmup" -le 600 ] || { echo "WARMUP_SECONDS must be 0-600" >&2; usage; }
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/runs/bench/overload"
if [ "$client" != java ]; then
  command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk (or CLIENT=java)" >&2; exit 1; }
fi
# shellcheck source=loopback-server.sh
. "$root/bench/loopback-server.sh"
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"

raise_open_files $((connections + 1024))
mkdir -p "$out"
prepare_repo "$out"
# The infer request, and counters of the answers by status, per wrk thread, summed in done().
cat "$out/infer.lua" - > "$out/infer-statuses.lua" <<'LUA'
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  ok, busy, other = 0, 0, 0
end
function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 503 then
    busy = busy + 1
  else
    other = other + 1
  end
end
function done(summary, latency, requests)
  local ok_all, busy_all, other_all = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_all = ok_all + thread:get("ok")
    busy_all = busy_all + thread:get("busy")
    other_all = other_all + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format("wrk-statuses 2xx=%d 503=%d other=%d duration_us=%d connect=%d read=%d write=%d timeout=%d all_p99_us=%d\n",
    ok_all, busy_all, other_all, summary.duration, e.connect, e.read, e.write, e.timeout, latency:percentile(99)))
end
LUA

port=18992
url="http://127.0.0.1:$port/v2/models/seed/infer"
trap stop_server EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); clients and server share them"
start_server "$root" "$port" "$out/server.log" --intra-op-threads 1
curl -sf -m 10 -X POST -H 'Content-Type: application/json' --data-binary @"$out/body.json" "$url" >/dev/null
if [ "$warmup" -eq 0 ]; then
  :
elif command -v wrk >/dev/null; then
  wrk -t2 -c64 -d"${warmup}s" -s "$out/infer.lua" "$url" >/dev/null 2>&1
else
  java -cp "$benchmarks_cp" dev.dualnet.benchmarks.server.ClosedLoopLoad "$port" "$out/body.json" 64 "$warmup" 0 >/dev/null
fi

if [ "$client" != java ]; then
  echo "overload machine_speed=$(machine_speed)s"
  wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s -s "$out/infer-statuses.lua" "$url" >"$out/wrk-c$connections.txt" 2>&1
  awk -v c="$connections" '$1 == "wrk-statuses" {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      s = v["duration_us"] / 1e6
      printf "overload client=wrk connections=%d seconds=%.0f requests/s_2xx=%.1f 2xx=%d 503=%d other_non2xx=%d socket_errors=%d (connect %d, read %d, write %d, timeout %d) all_p99_ms=%.1f\n",
        c, s, v["2xx"] / s, v["2xx"], v["503"], v["other"], v["connect"] + v["read"] + v["write"] + v["timeout"],
        v["connect"], v["read"], v["write"], v["timeout"], v["all_p99_us"] / 1000
    }' "$out/wrk-c$connections.txt"
  grep -q '^wrk-statuses' "$out/wrk-c$connections.txt" || { echo "wrk printed no figures; see $out/wrk-c$connections.txt" >&2; exit 1; }
fi
if [ "$client" != wrk ]; then
  echo "overload machine_speed=$(machine_speed)s"
  java -cp "$benchmarks_cp" dev.dualnet.benchmarks.server.ClosedLoopLoad "$port" "$out/body.json" "$connections" "$seconds" 5
fi
