#!/usr/bin/env bash
# HTTP load on loopback with wrk: single-sample Open Inference Protocol infer requests to the seed
# model, at 1, 16 and 64 connections with dynamic batching, at 64 with the tensors sent and returned
# as binary data (the protocol's binary tensor data extension), and at 64 without batching; then a
# longer run at 64 connections that samples the server's RSS after the first minute and at the end.
#
#   bench/server-load.sh [SECONDS_PER_RUN] [SOAK_SECONDS]     (defaults 60 and 300)
#
# Needs wrk (Debian: apt-get install wrk) and a seed model at runs/bench/seed-model
# (bench/inference-benchmarks.sh exports one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:-60}
soak=${2:-300}
model="$root/runs/bench/seed-model"
out="$root/runs/bench/load"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
[ -f "$model/1/model.onnx" ] || { echo "no model at $model: run bench/inference-benchmarks.sh first" >&2; exit 1; }
# shellcheck source=loopback-server.sh
. "$root/bench/loopback-server.sh"

# The model (runs/bench/seed-model, checked above) in $out/repo, and one real test digit from its
# parity bundle as KServe v2 request bodies: JSON (body.json, infer.lua) and binary tensors.
prepare_repo "$out"
cat > "$out/infer-binary.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Inference-Header-Content-Length"] = "$(cat "$out/body.bin.json-length")"
local f = io.open("$out/body.bin", "rb")
wrk.body = f:read("*a")
f:close()
LUA

port=18990
trap stop_server EXIT
# The launcher execs the server's JVM, so server_pid (set by start_server) is the server's.
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$server_pid/status"; }
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"
warm_up() { # the JIT keeps compiling for the better part of a minute; measure after it
  wrk -t2 -c64 -d"${WARMUP_SECONDS:-30}s" -s "$out/infer.lua" "http://127.0.0.1:$port/v2/models/seed/infer" >/dev/null 2>&1
}
run_wrk() { # label connections seconds [lua script, default the JSON body's]
  local label=$1 connections=$2 seconds=$3 script=${4:-$out/infer.lua}
  wrk -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"${seconds}s" --latency -s "$script" \
    "http://127.0.0.1:$port/v2/models/seed/infer" >"$out/$label.txt" 2>&1
  local rps p99 errors non2xx
  rps=$(awk '/Requests\/sec/{print $2}' "$out/$label.txt")
  p99=$(awk '$1=="99%"{print $2}' "$out/$label.txt")
  errors=$(awk '/Socket errors/{print $0}' "$out/$label.txt")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$out/$label.txt")
  printf '%-24s connections=%-3s requests/s=%-10s p99=%-9s non-2xx=%s %s  machine_speed=%ss\n' "$label" \
    "$connections" "$rps" "$p99" "${non2xx:-0}" "${errors:-socket errors=0}" "$(machine_speed)"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk and server share them"
start_server "$root" "$port" "$out/server.log" --intra-op-threads 1
curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$out/body.json" \
  "http://127.0.0.1:$port/v2/models/seed/infer" >/dev/null
warm_up
run_wrk batching-c1 1 "$duration"
run_wrk batching-c16 16 "$duration"
run_wrk batching-c64 64 "$duration"
run_wrk binary-tensors-c64 64 "$duration" "$out/infer-binary.lua"
stop_server

start_server "$root" "$port" "$out/server.log" --intra-op-threads 1 --no-batching
warm_up
run_wrk no-batching-c64 64 "$duration"
stop_server

start_server "$root" "$port" "$out/server.log" --intra-op-threads 1
warm_up
wrk -t2 -c64 -d"${soak}s" --latency -s "$out/infer.lua" "http://127.0.0.1:$port/v2/models/seed/infer" \
  >"$out/soak.txt" 2>&1 &
wrk_pid=$!
sleep 60
rss_first=$(rss_kib)
sleep $((soak - 65))
rss_end=$(rss_kib)
wait $wrk_pid
stop_server
awk -v a="$rss_first" -v b="$rss_end" -v s="$soak" \
  'BEGIN { printf "memory: RSS after 1 min %d KiB, after %d s %d KiB (%+.1f%%)\n", a, s - 5, b, 100 * (b - a) / a }'
awk '/Requests\/sec|Non-2xx|Socket errors/' "$out/soak.txt"
