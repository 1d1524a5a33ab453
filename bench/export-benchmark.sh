#!/usr/bin/env bash
# Export speed and memory: DJL's ResNet-50 (224x224, 1,000 classes, random weights) exported with a
# dynamic batch dimension, timed against one DJL/PyTorch forward pass of the same network at batch 1
# in the same run, and the peak Java heap of each export against the parameters' bytes.
#
#   bench/export-benchmark.sh [RUNS] [LAYERS] [SIDE]     (default 3 runs of ResNet-50 at 224)
#
# Each run: the median of five forward passes, then one export to a temporary file. The script
# prints each run and the medians with their spread; the heap is the sum of the heap pools' peaks
# from a collection just before the export to its end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=machine-speed.sh
. "$root/bench/machine-speed.sh"
echo "machine speed before: $(machine_speed) s"
(cd "$root" && ./mvnw -q -B -Dmaven.test.skip=true -pl benchmarks -am package)
cp="$root/benchmarks/target/dualnet-benchmarks-0.1.0-SNAPSHOT.jar:$root/benchmarks/target/lib/*"
# The same OpenMP wait settings and native allocator as the dualnet commands get.
while IFS= read -r setting; do export "${setting?}"; done < <("$root/dualnet" --openmp-wait)
allocator=$("$root/dualnet" --native-allocator)
if [ "${allocator%% *}" = tcmalloc ] && [[ ":${LD_PRELOAD:-}:" != *":${allocator#tcmalloc }:"* ]]; then
  export LD_PRELOAD="${allocator#tcmalloc }${LD_PRELOAD:+:$LD_PRELOAD}"
fi
java -Djava.awt.headless=true -Dai.djl.offline=true "-DDJL_CACHE_DIR=${DJL_CACHE_DIR:-$HOME/.cache/dualnet/djl}" \
  -cp "$cp" dev.dualnet.benchmarks.ExportBenchmark "${1:-3}" "${2:-50}" "${3:-224}" 2>&1 | grep -v '^SLF4J'
echo "machine speed after: $(machine_speed) s"
