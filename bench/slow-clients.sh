#!/usr/bin/env bash
# Slow clients against the server on loopback: SLOW_CONNECTIONS connections that send the headers of
# an infer request and then trickle its body at 1 byte/s (one NIO thread drives them all; one the
# server closes is counted and replaced), while a normal client sends infer, GET /v2/health/ready
# and GET /metrics in turn for SECONDS, each with a 2 s deadline.
#
#   bench/slow-clients.sh [SLOW_CONNECTIONS] [SECONDS]     (defaults 2000 and 60)
#
# WARMUP_SECONDS (default 20) of normal requests come first and are not counted. Output, one group
# of figures a line, every line starting with "slow-clients":
#   slow-clients slow_connections_target=N open_at_start=N (after S s) open_avg=N open_min=N
#   slow-clients server_closed=N closed_after_p50_s=S closed_after_max_s=S reopened=N connect_failed=N whole_body_sent=N server_replies=STATUS:N,...
#   slow-clients normal_requests=N succeeded=N failed=N [failed_KIND_REASON=N ...]
#   slow-clients infer|health|metrics requests=N succeeded=N p50_ms=X p99_ms=X max_ms=X
#   slow-clients connections=N seconds=S open_avg=N server_closed=N requests=N infer_p99_ms=X health_p99_ms=X failed=N target(p99<100ms,all ok)=met|not met
# Latencies are of the requests that succeeded; "-" when none did. The target: every normal request
# succeeds and infer and health p99 are under 100 ms. Server log: runs/bench/slow-clients/server.log.
set -euo pipefail
usage() { echo "usage: bench/slow-clients.sh [SLOW_CONNECTIONS] [SECONDS]   (defaults 2000 and 60)" >&2; exit 2; }
[ $# -le 2 ] || usage
slow=${1:-2000}
seconds=${2:-60}
[[ "$slow" =~ ^[0-9]+$ ]] && [ "$slow" -le 20000 ] || usage
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] || usage
warmup=${WARMUP_SECONDS:-20}
[[ "$warmup" =~ ^[0-9]+$ ]] && [ "$warmup" -le 600 ] || { echo "WARMUP_SECONDS must be 0-600" >&2; usage; }
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/runs/bench/slow-clients"
# shellcheck source=loopback-server.sh
. "$root/bench/loopback-server.sh"
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"

# Both ends of every slow connection live on this machine: the client and the server each hold one
# descriptor per connection, besides the JVMs' own.
raise_open_files $((slow + 1024))
mkdir -p "$out"
prepare_repo "$out"
port=18991
trap stop_server EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); clients and server share them"
start_server "$root" "$port" "$out/server.log" --intra-op-threads 1
echo "slow-clients machine_speed_before=$(machine_speed)s"
java -cp "$benchmarks_cp" dev.dualnet.benchmarks.server.SlowClients "$port" "$out/body.json" "$slow" "$seconds" "$warmup"
echo "slow-clients machine_speed_after=$(machine_speed)s"
