#!/usr/bin/env bash
# Trainer benchmarks on the full MNIST data; prints the figures BENCHMARKS.md reports.
#
#   [RUNS=N] bench/train-benchmarks.sh [default|seed|all] [OUT_DIR]
#
# default: the default preset as the main job trains it; reports test accuracies and total training
#          wall time (evaluation and checkpointing excluded), against the 5-minute budget.
# seed:    the seed preset at batch 64 for 10 epochs; reports the median training throughput over
#          epochs and the final accuracies.
# Each run also reports how much CPU time the hypervisor stole while it ran (the 'st' column of
# top): on shared virtual machines this alone can halve throughput, so read the figures with it.
# RUNS=N repeats each benchmark N times (run directories OUT_DIR/seed-1, seed-2, ...) and ends with a
# summary line per preset: every run's figure, the median of the runs and how many met the target.
# One run says little on a shared machine whose speed drifts from minute to minute.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
which=${1:-all}
out=${2:-$root/runs/bench}
runs=${RUNS:-1}
case "$which" in
  default | seed | all) ;;
  *) echo "usage: [RUNS=N] $0 [default|seed|all] [OUT_DIR]" >&2; exit 2 ;;
esac
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "RUNS must be a whole number of at least 1, got '$runs'" >&2
  exit 2
fi
mkdir -p "$out"

# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

cpu_counters() { awk '/^cpu /{t=0; for(i=2;i<=NF;i++) t+=$i; print t, $9}' /proc/stat; }

# A run's median samples/s over epochs, and its training wall time in seconds (steps only).
epoch_median() { tail -n +2 "$1/metrics.csv" | cut -d, -f11 | median; }
train_seconds() { awk -F, 'NR>1 { secs+=$10 } END { printf "%.1f", secs }' "$1/metrics.csv"; }

summarise() { # run_dir label
  awk -F, -v label="$2" -v med="$(epoch_median "$1")" -v secs="$(train_seconds "$1")" 'NR>1 { n++; d=$6; s=$7; b=$8 }
    END {
      printf "%-8s epochs=%d  train_wall_s=%.1f  median_samples_per_s=%.0f  test_digit=%.2f%%  test_sum=%.2f%%  test_both=%.2f%%\n",
        label, n, secs, med, 100*d, 100*s, 100*b
    }' "$1/metrics.csv"
}

run() { # label, dualnet train args...
  local label=$1; shift
  local dir="$out/$label"
  rm -rf "$dir"
  local speed_before
  speed_before=$(machine_speed)
  read -r total0 steal0 < <(cpu_counters)
  local start=$SECONDS
  "$root/dualnet" train --run-dir "$dir" "$@" >"$out/$label.log" 2>&1
  local wall=$((SECONDS - start))
  read -r total1 steal1 < <(cpu_counters)
  summarise "$dir" "$label"
  awk -v d="$((steal1 - steal0))" -v t="$((total1 - total0))" -v w="$wall" -v s0="$speed_before" -v s1="$(machine_speed)" \
    'BEGIN { printf "%-8s process_wall_s=%d  cpu_stolen_by_hypervisor=%.1f%%  machine_speed_before/after=%s/%ss\n", "", w, (t>0 ? 100*d/t : 0), s0, s1 }'
  printf '%-8s samples_per_s_by_epoch: %s\n' "" "$(tail -n +2 "$dir/metrics.csv" | cut -d, -f11 | xargs printf '%.0f ')"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), native allocator: $("$root/dualnet" --native-allocator)"
"$root/dualnet" data >/dev/null 2>&1
# The figure each preset is judged by: seed, the median samples/s over epochs; default, the
# training wall time in seconds.
figure() { # preset run_dir
  if [ "$1" = seed ]; then epoch_median "$2"; else train_seconds "$2"; fi
}

repeat() { # preset, dualnet train args...
  local preset=$1; shift
  if [ "$runs" -eq 1 ]; then
    run "$preset" --preset "$preset" "$@"
    return
  fi
  local figures=()
  for i in $(seq 1 "$runs"); do
    run "$preset-$i" --preset "$preset" "$@"
    figures+=("$(figure "$preset" "$out/$preset-$i")")
  done
  printf '%s\n' "${figures[@]}" | awk -v p="$preset" -v m="$(printf '%s\n' "${figures[@]}" | median)" '
    { list = list sprintf(p == "seed" ? " %.0f" : " %.1f", $1); n++
      if (p == "seed" ? $1 >= 12000 : $1 <= 300) met++ }
    END {
      if (p == "seed") printf "%-8s runs=%d  median_samples_per_s:%s  median_of_runs=%.0f  at_least_12000=%d/%d\n", p, n, list, m, met, n
      else printf "%-8s runs=%d  train_wall_s:%s  median_of_runs=%.1f  within_300s=%d/%d\n", p, n, list, m, met, n
    }'
}

case "$which" in
  default) repeat default ;;
  seed) repeat seed --batch-size 64 --epochs 10 ;;
  all)
    repeat default
    repeat seed --batch-size 64 --epochs 10
    ;;
esac
