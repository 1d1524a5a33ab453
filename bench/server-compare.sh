#!/usr/bin/env bash
# Paired throughput comparison of the server at git revision OLD_REV against the working tree's:
# wrk at 64 connections, single-sample JSON infer requests to the seed model, dynamic batching on
# (server-load.sh's batching-c64 run). OLD_REV is built offline in a temporary git worktree under
# runs/bench/compare (removed at the end), the working tree's server beside it; then the two take
# turns, old first (ABAB...), RUNS times each, every run on a freshly started server (the same
# flags, the same model repository copy, the same port once the other has stopped) with a warm-up.
#
#   bench/server-compare.sh OLD_REV [RUNS] [SECONDS]     (defaults 3 and 60)
#
# Needs wrk (Debian: apt-get install wrk). WARMUP_SECONDS (default 30) of the same load before each
# measured run. Output lines:
#   compare run=I old|new=REV requests/s=X p99=T non-2xx=N socket_errors=N machine_speed=Ss
#   compare old=REV median_requests/s=X spread=MIN-MAX
#   compare new=REV median_requests/s=X spread=MIN-MAX
#   compare ratio(new/old)=R runs=N runs_with_errors=N target(ratio>=0.95)=met|not met
# REV is the short commit, with +changes when the working tree differs from HEAD. Servers' logs and
# wrk's output: runs/bench/compare/.
set -euo pipefail
usage() { echo "usage: bench/server-compare.sh OLD_REV [RUNS] [SECONDS]   (defaults 3 and 60)" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
old_commit=$(git -C "$root" rev-parse --verify --quiet "$1^{commit}") || { echo "no git revision '$1'" >&2; usage; }
runs=${2:-3}
seconds=${3:-60}
[[ "$runs" =~ ^[0-9]+$ ]] && [ "$runs" -ge 1 ] && [ "$runs" -le 20 ] || usage
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 3600 ] || usage
warmup=${WARMUP_SECONDS:-30}
[[ "$warmup" =~ ^[0-9]+$ ]] && [ "$warmup" -le 600 ] || { echo "WARMUP_SECONDS must be 0-600" >&2; usage; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
out="$root/runs/bench/compare"
old_tree="$out/old-${old_commit:0:12}"
old_label=${old_commit:0:7}
new_label=$(git -C "$root" rev-parse --short=7 HEAD)
[ -z "$(git -C "$root" status --porcelain)" ] || new_label="$new_label+changes"
# shellcheck source=loopback-server.sh
. "$root/bench/loopback-server.sh"
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"

remove_old_tree() {
  if [ -d "$old_tree" ]; then
    git -C "$root" worktree remove --force "$old_tree" >/dev/null 2>&1 || rm -rf "$old_tree"
  fi
}
cleanup() {
  stop_server
  remove_old_tree
}
mkdir -p "$out"
remove_old_tree # left by an interrupted run
trap cleanup EXIT
git -C "$root" worktree add --force --detach "$old_tree" "$old_commit" >"$out/worktree.log" 2>&1 \
  || { echo "git worktree add failed; see $out/worktree.log" >&2; exit 1; }
[ -x "$old_tree/dualnet" ] && [ -x "$old_tree/mvnw" ] && [ -d "$old_tree/server" ] \
  || { echo "revision $old_label has no dualnet launcher, mvnw or server module" >&2; exit 1; }

# Builds what the tree's own launcher builds for serve, offline: the cli module where the launcher
# runs dev.dualnet.cli.Dualnet (from 6782b50 on), else the server module (dev.dualnet.server.ServerCli).
# Then the launcher answers serve --help, which finds nothing left to build (or builds it, e.g. for
# DUALNET_BUILD), so that no build happens within start_server's readiness wait.
build() { # tree label
  local tree=$1 label=$2 module=server profile=() jar
  grep -q 'dev\.dualnet\.cli\.Dualnet' "$tree/dualnet" && module=cli
  [ "${DUALNET_BUILD:-}" = gpu ] && profile=(-Pgpu)
  echo "compare building the server of $label (offline, the $module module, as its launcher does)"
  if ! (cd "$tree" && ./mvnw -B -ntp -q -o package ${profile[@]+"${profile[@]}"} -Dmaven.test.skip=true -pl "$module" -am) \
    >"$out/build-$label.log" 2>&1; then
    echo "building $label failed; see $out/build-$label.log" >&2
    exit 1
  fi
  # The launcher rebuilds when a source is newer than its jar; Maven leaves an unchanged jar's time.
  for jar in "$tree/cli/target/dualnet-cli-0.1.0-SNAPSHOT.jar" "$tree/server/target/dualnet-server-0.1.0-SNAPSHOT.jar"; do
    if [ -f "$jar" ]; then touch "$jar"; fi
  done
  if ! "$tree/dualnet" serve --help >>"$out/build-$label.log" 2>&1; then
    echo "the launcher of $label failed on serve --help; see $out/build-$label.log" >&2
    exit 1
  fi
}
build "$old_tree" old
build "$root" new
prepare_repo "$out"

port=18993
url="http://127.0.0.1:$port/v2/models/seed/infer"
old_rps=()
new_rps=()
with_errors=0
measure() { # run side tree label
  local run=$1 side=$2 tree=$3 label=$4 txt="$out/run$1-$2.txt" speed rps p99 non2xx errors
  start_server "$tree" "$port" "$out/server-$side.log" --intra-op-threads 1
  curl -sf -m 10 -X POST -H 'Content-Type: application/json' --data-binary @"$out/body.json" "$url" >/dev/null
  [ "$warmup" -eq 0 ] || wrk -t2 -c64 -d"${warmup}s" -s "$out/infer.lua" "$url" >/dev/null 2>&1
  speed=$(machine_speed)
  wrk -t2 -c64 -d"${seconds}s" --latency -s "$out/infer.lua" "$url" >"$txt" 2>&1
  stop_server
  rps=$(awk '/Requests\/sec/{print $2}' "$txt")
  p99=$(awk '$1=="99%"{print $2}' "$txt")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$txt")
  errors=$(awk '/Socket errors/{gsub(",", ""); print $4 + $6 + $8 + $10}' "$txt")
  [ -n "$rps" ] || { echo "wrk printed no requests/s; see $txt" >&2; exit 1; }
  [ "${non2xx:-0}" = 0 ] && [ "${errors:-0}" = 0 ] || with_errors=$((with_errors + 1))
  printf 'compare run=%s %s=%s requests/s=%s p99=%s non-2xx=%s socket_errors=%s machine_speed=%ss\n' \
    "$run" "$side" "$label" "$rps" "$p99" "${non2xx:-0}" "${errors:-0}" "$speed"
  if [ "$side" = old ]; then old_rps+=("$rps"); else new_rps+=("$rps"); fi
}
# Median, min and max of the arguments.
summary() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %s %s\n", m, v[1], v[NR] }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk and server share them"
echo "compare old=$old_label new=$new_label runs=$runs seconds=$seconds warmup=${warmup}s connections=64"
for run in $(seq 1 "$runs"); do
  measure "$run" old "$old_tree" "$old_label"
  measure "$run" new "$root" "$new_label"
done
read -r old_median old_min old_max < <(summary "${old_rps[@]}")
read -r new_median new_min new_max < <(summary "${new_rps[@]}")
echo "compare old=$old_label median_requests/s=$old_median spread=$old_min-$old_max"
echo "compare new=$new_label median_requests/s=$new_median spread=$new_min-$new_max"
awk -v o="$old_median" -v n="$new_median" -v r="$runs" -v e="$with_errors" 'BEGIN {
  ratio = n / o
  printf "compare ratio(new/old)=%.3f runs=%d runs_with_errors=%d target(ratio>=0.95)=%s\n", ratio, r, e,
    (ratio >= 0.95 ? "met" : "not met") }'
