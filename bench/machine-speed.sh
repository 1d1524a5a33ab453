# Sourced by the benchmark scripts. machine_speed prints the seconds a fixed single-threaded awk
# loop takes: this shared machine's speed swings by up to 2x from minute to minute (hypervisor
# contention that the steal counter does not always show), so every figure is printed beside it.
# About 0.6 s is this machine at full speed.
machine_speed() { local TIMEFORMAT=%R; { time awk 'BEGIN { for (i = 0; i < 2e7; i++) s += i }'; } 2>&1; }
