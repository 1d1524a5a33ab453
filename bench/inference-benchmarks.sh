#!/usr/bin/env bash
# Inference benchmarks of the seed preset model: ONNX Runtime (runtime module) against DJL/PyTorch
# on the same trained checkpoint, with JMH, then a native-memory soak of 1,000,000 single calls.
#
#   bench/inference-benchmarks.sh [RUN_DIR]
#
# RUN_DIR is a trained seed-preset run (default runs/bench/seed, from train-benchmarks.sh; a short
# one is trained there if missing). Figures: batch 1 with one intra-op thread, batch 256 with two.
# ENGINE=onnxRuntime (or djlPyTorch) runs only that half, e.g. to repeat the ONNX Runtime figures
# when the machine is at full speed; SOAK=0 skips the native-memory soak.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run=${1:-$root/runs/bench/seed}
model="$root/runs/bench/seed-model"
out="$root/runs/bench"
mkdir -p "$out"

if [ ! -f "$run/checkpoint.zip" ]; then
  echo "no seed run at $run; training a short one (1 epoch) for the benchmark"
  "$root/dualnet" train --preset seed --epochs 1 --batch-size 64 --run-dir "$run" >"$out/seed-train.log" 2>&1
fi
"$root/dualnet" export --checkpoint "$run" --out "$model" >"$out/seed-export.log" 2>&1

(cd "$root" && ./mvnw -q -B -Dmaven.test.skip=true -pl benchmarks -am package)
cp="$root/benchmarks/target/dualnet-benchmarks-0.1.0-SNAPSHOT.jar:$root/benchmarks/target/lib/*"
java_opts=(-Djava.awt.headless=true -Dai.djl.offline=true "-DDJL_CACHE_DIR=${DJL_CACHE_DIR:-$HOME/.cache/dualnet/djl}"
  "-Ddualnet.bench.model=$model" "-Ddualnet.bench.checkpoint=$run")
# The same OpenMP wait settings as the dualnet commands get (a bounded spin unless the caller sets a policy).
while IFS= read -r setting; do export "${setting?}"; done < <("$root/dualnet" --openmp-wait)
# The same native allocator as the dualnet commands get (tcmalloc when installed).
allocator=$("$root/dualnet" --native-allocator)
if [ "${allocator%% *}" = tcmalloc ] && [[ ":${LD_PRELOAD:-}:" != *":${allocator#tcmalloc }:"* ]]; then
  # Prepended, as the launcher does, so a library the caller preloads stays preloaded.
  export LD_PRELOAD="${allocator#tcmalloc }${LD_PRELOAD:+:$LD_PRELOAD}"
fi

jmh() { # batch threads result-file
  java "${java_opts[@]}" -cp "$cp" org.openjdk.jmh.Main "InferenceBenchmark${ENGINE:+.$ENGINE}" -p batch="$1" -p threads="$2" \
    -f 1 -wi 3 -w 3s -i 5 -r 4s -jvmArgsAppend "${java_opts[*]}" -rf json -rff "$3" >"$3.log" 2>&1
}
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), native allocator: $allocator"
echo "machine_speed before batch 1: $(machine_speed) s"
jmh 1 1 "$out/jmh-batch1.json"
echo "machine_speed before batch 256: $(machine_speed) s"
jmh 256 2 "$out/jmh-batch256.json"
echo "machine_speed after: $(machine_speed) s"
java "${java_opts[@]}" -cp "$cp" dev.dualnet.benchmarks.JmhSummary "$out/jmh-batch1.json" "$out/jmh-batch256.json"

[ "${SOAK:-1}" = 0 ] && exit 0
echo "native memory soak: 1,000,000 single predictions, ONNX Runtime, 1 intra-op thread"
java "${java_opts[@]}" -Xms64m -Xmx64m -XX:+AlwaysPreTouch -cp "$cp" dev.dualnet.benchmarks.NativeMemorySoak "$model" 1000000
