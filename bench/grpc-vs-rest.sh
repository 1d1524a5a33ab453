#!/usr/bin/env bash
# Paired throughput of the Open Inference Protocol over gRPC against REST with JSON bodies, on one
# dualnet server: single-sample infer requests to the seed model at CONNECTIONS connections
# (default 64), one request in flight on each, dynamic batching on, --intra-op-threads 1. Each run
# measures REST with wrk, then gRPC, SECONDS each, after a warm-up of both. The gRPC request is
# ModelInfer with the same tensors as raw_input_contents (InferBodies' body.grpc), sent by h2load,
# a C load tool like wrk (CLIENT=h2load, the default), or by the benchmarks module's Java client on
# grpc-java (CLIENT=java: GrpcLoad). h2load does not read gRPC trailers, so the server's own
# statistics (GET /v2/models/seed/stats) check every gRPC run: their success count must grow by
# the number of answers h2load counted, and their fail count not at all.
#
#   bench/grpc-vs-rest.sh [RUNS] [SECONDS] [CONNECTIONS]     (defaults 3, 30 and 64)
#
# Needs wrk and h2load (Debian: apt-get install wrk nghttp2-client). WARMUP_SECONDS (default 20) of
# each load before the first run. Output lines:
#   grpc-vs-rest run=I rest_requests/s=X rest_p99=T grpc_requests/s=Y grpc_p99=T ratio=Y/X errors=N machine_speed=Ss
#   grpc-vs-rest rest median_requests/s=X spread=MIN-MAX
#   grpc-vs-rest grpc median_requests/s=Y spread=MIN-MAX median_p99=T spread=MIN-MAX
#   grpc-vs-rest median_ratio(grpc/rest)=R spread=MIN-MAX runs=N target(ratio>=1.3 and grpc p99<20ms)=met|not met
# The load tools' output and the server's log: runs/bench/grpc-vs-rest/.
set -euo pipefail
usage() { echo "usage: bench/grpc-vs-rest.sh [RUNS] [SECONDS] [CONNECTIONS]   (defaults 3, 30 and 64)" >&2; exit 2; }
[ $# -le 3 ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
seconds=${2:-30}
connections=${3:-64}
[[ "$runs" =~ ^[0-9]+$ ]] && [ "$runs" -ge 1 ] && [ "$runs" -le 20 ] || usage
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] || usage
[[ "$connections" =~ ^[0-9]+$ ]] && [ "$connections" -ge 2 ] && [ "$connections" -le 1024 ] || usage
warmup=${WARMUP_SECONDS:-20}
[[ "$warmup" =~ ^[0-9]+$ ]] && [ "$warmup" -le 600 ] || { echo "WARMUP_SECONDS must be 0-600" >&2; usage; }
client=${CLIENT:-h2load}
[ "$client" = h2load ] || [ "$client" = java ] || { echo "CLIENT must be h2load or java, not '$client'" >&2; usage; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
[ "$client" = java ] || command -v h2load >/dev/null \
  || { echo "h2load not found: apt-get install nghttp2-client (or CLIENT=java)" >&2; exit 1; }
out="$root/runs/bench/grpc-vs-rest"
mkdir -p "$out"
# shellcheck source=loopback-server.sh
. "$root/bench/loopback-server.sh"
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"
prepare_repo "$out"
port=18994
grpc_port=18995
trap stop_server EXIT
if port_in_use "$grpc_port"; then
  echo "something already listens on 127.0.0.1:$grpc_port; stop it or free the port" >&2
  exit 1
fi
url="http://127.0.0.1:$port/v2/models/seed/infer"

rest() { # seconds file
  wrk -t2 -c"$connections" -d"$1s" --latency -s "$out/infer.lua" "$url" >"$2" 2>&1
}
successes() { # the seed model's success and fail counts from the server's statistics
  curl -sf "http://127.0.0.1:$port/v2/models/seed/stats" \
    | grep -o '"\(success\|fail\)":{"count":[0-9]*' | grep -o '[0-9]*$' | paste -sd' '
}
# Runs the gRPC load and prints "requests/s p99_ms errors" (errors: calls that did not succeed).
grpc() { # seconds file
  if [ "$client" = java ]; then
    java -cp "$benchmarks_cp" dev.dualnet.benchmarks.server.GrpcLoad "$grpc_port" "$out/body.grpc" "$connections" \
      "$1" 2 >"$2" 2>&1
    local line
    line=$(grep '^grpc ' "$2") || { echo "GrpcLoad printed no result; see $2" >&2; exit 1; }
    sed -E 's/.*requests\/s=([0-9.]+).* p99=([0-9.-]+).* errors=([0-9]+).*/\1 \2 \3/' <<<"$line"
    return
  fi
  local before after
  before=$(successes)
  h2load -D "$1" -c "$connections" -m 1 -t 2 -d "$out/body.grpc" -H 'content-type: application/grpc' \
    -H 'te: trailers' --log-file="$2.log" "http://127.0.0.1:$grpc_port/inference.GRPCInferenceService/ModelInfer" \
    >"$2" 2>&1 || { echo "h2load failed; see $2" >&2; exit 1; }
  after=$(successes)
  local p99
  p99=$(cut -f3 "$2.log" | sort -n | awk '{ d[NR] = $1 } END { i = int(0.99 * NR); if (i < 0.99 * NR) i++;
    if (NR) printf "%.2f", d[i] / 1000; else print "-" }')
  awk -v before="$before" -v after="$after" -v p99="$p99" '
    /^finished in/ { rps = $4 }
    /^requests:/ { done = $6; ok = $8 }
    END {
      split(before, b, " "); split(after, a, " ")
      answered = a[1] - b[1]; failed = a[2] - b[2]
      # The server answers every call h2load counted, and maybe some it stopped waiting for at the end.
      errors = (done - ok) + failed + (answered < ok ? ok - answered : 0)
      printf "%s %s %d\n", rps, p99, errors
    }' "$2"
}

# wrk's latency as milliseconds: it prints 812.00us, 3.21ms or 1.02s.
wrk_ms() { # value
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0;
    else if (v ~ /s$/) printf "%.2f", v * 1000; else print "-" }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk, the gRPC client ($client) and the server share them"
start_server "$root" "$port" "$out/server.log" --intra-op-threads 1 --grpc-port "$grpc_port"
if [ "$warmup" -gt 0 ]; then
  echo "grpc-vs-rest warming up: ${warmup} s of each load"
  rest "$warmup" "$out/warmup-rest.txt"
  grpc "$warmup" "$out/warmup-grpc.txt" >/dev/null
fi
summary="$out/runs.tsv"
: >"$summary"
for i in $(seq 1 "$runs"); do
  rest "$seconds" "$out/rest-$i.txt"
  read -r grpc_rps grpc_p99 grpc_errors < <(grpc "$seconds" "$out/grpc-$i.txt")
  rest_rps=$(awk '/Requests\/sec/{print $2}' "$out/rest-$i.txt")
  rest_p99=$(wrk_ms "$(awk '$1=="99%"{print $2}' "$out/rest-$i.txt")")
  rest_errors=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(/[^0-9 ]/," "); for (f=1; f<=NF; f++) n+=$f} END {print n+0}' "$out/rest-$i.txt")
  ratio=$(awk -v g="$grpc_rps" -v r="$rest_rps" 'BEGIN { printf "%.3f", g / r }')
  printf '%s\t%s\t%s\t%s\t%s\n' "$rest_rps" "$grpc_rps" "$grpc_p99" "$ratio" "$((rest_errors + grpc_errors))" >>"$summary"
  echo "grpc-vs-rest run=$i rest_requests/s=$rest_rps rest_p99=${rest_p99}ms grpc_requests/s=$grpc_rps" \
    "grpc_p99=${grpc_p99}ms ratio=$ratio errors=$((rest_errors + grpc_errors)) machine_speed=$(machine_speed)s"
done

median() { # column of runs.tsv: prints "MEDIAN spread=MIN-MAX"
  cut -f"$1" "$summary" | sort -g | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s spread=%s-%s", m, v[1], v[NR] }'
}
echo "grpc-vs-rest rest median_requests/s=$(median 1)"
p99=$(median 3)
echo "grpc-vs-rest grpc median_requests/s=$(median 2) median_p99=$p99"
ratio=$(median 4)
errors=$(awk -F'\t' '{ n += $5 } END { print n + 0 }' "$summary")
verdict=$(awk -v r="${ratio%% *}" -v p="${p99%% *}" -v e="$errors" \
  'BEGIN { print (r >= 1.3 && p < 20 && e == 0) ? "met" : "not met" }')
echo "grpc-vs-rest median_ratio(grpc/rest)=$ratio runs=$runs errors=$errors target(ratio>=1.3 and grpc p99<20ms, no errors)=$verdict"
