# Sourced by slow-clients.sh, overload.sh, server-compare.sh and server-load.sh: the seed model
# repository, the infer request bodies, and starting and stopping one 'dualnet serve' on a loopback
# port.
#
#   build_benchmarks          builds the benchmarks module (and what it needs) when its jar is missing
#                             or older than a pom or main source, sets benchmarks_cp to its class path
#                             (the load generators and InferBodies: dev.dualnet.benchmarks.server)
#   prepare_repo OUT          copies the seed model into OUT/repo/seed and writes OUT/body.json,
#                             OUT/body.bin and OUT/infer.lua (wrk: POST of body.json); builds the
#                             launcher's modules and the benchmarks module first
#   start_server TREE PORT LOG [SERVE FLAGS...]
#                             starts TREE/dualnet serve on 127.0.0.1:PORT with OUT/repo, sets
#                             server_pid, waits (60 s at most) until /v2/health/ready answers
#   stop_server               SIGTERM, then SIGKILL if it has not drained in 40 s
#   raise_open_files N        raises the soft open-file limit of this shell (and its children) to N
#
# The model is runs/bench/seed-model (bench/inference-benchmarks.sh exports one) when it exists,
# else the small seed model committed for the tests (runtime/src/test/resources/models/seed).

bench_model_entry() {
  if [ -f "$root/runs/bench/seed-model/1/model.onnx" ]; then
    echo "$root/runs/bench/seed-model"
  else
    echo "$root/runtime/src/test/resources/models/seed"
  fi
}

benchmarks_cp=""
build_benchmarks() {
  local jar="$root/benchmarks/target/dualnet-benchmarks-0.1.0-SNAPSHOT.jar" log
  if [ ! -f "$jar" ] || [ ! -d "$root/benchmarks/target/lib" ] \
    || [ -n "$(find "$root/pom.xml" "$root"/*/pom.xml "$root"/*/src/main -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "building the benchmarks module..." >&2
    log=$(cd "$root" && ./mvnw -q -B -Dmaven.test.skip=true -pl benchmarks -am package 2>&1) \
      || { printf '%s\n' "$log" >&2; echo "building the benchmarks module failed (see above)" >&2; exit 1; }
    touch "$jar" # Maven leaves an unchanged jar's time alone, which would rebuild on every call
  fi
  benchmarks_cp="$jar:$root/benchmarks/target/lib/*"
}

prepare_repo() { # out
  local out=$1 model
  model=$(cd "$(bench_model_entry)" && pwd)
  mkdir -p "$out/repo"
  rm -rf "$out/repo/seed" && cp -r "$model" "$out/repo/seed"
  "$root/dualnet" serve --help >/dev/null # builds what serve runs now, not within start_server's 60 s
  build_benchmarks
  java -cp "$benchmarks_cp" dev.dualnet.benchmarks.server.InferBodies "$model/1/parity" "$out"
  cat > "$out/infer.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$out/body.json", "rb")
wrk.body = f:read("*a")
f:close()
LUA
}

port_in_use() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

server_pid=""
start_server() { # tree port log [serve flags...]
  local tree=$1 port=$2 log=$3
  shift 3
  if port_in_use "$port"; then
    echo "something already listens on 127.0.0.1:$port; stop it or free the port" >&2
    exit 1
  fi
  "$tree/dualnet" serve --host 127.0.0.1 --model-dir "$out/repo" --port "$port" "$@" >"$log" 2>&1 &
  server_pid=$!
  local _
  for _ in $(seq 1 120); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "server exited before it was ready; see $log" >&2
      exit 1
    fi
    curl -sf -m 2 "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "server did not become ready in 60 s; see $log" >&2
  stop_server
  exit 1
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  local _
  for _ in $(seq 1 80); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

raise_open_files() { # wanted
  local soft hard
  soft=$(ulimit -Sn)
  [ "$soft" = unlimited ] && return 0
  [ "$soft" -ge "$1" ] && return 0
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$1" ]; then
    echo "open-file limit: need $1, the hard limit is $hard (raise it, e.g. ulimit -Hn $1 as root)" >&2
    exit 1
  fi
  ulimit -Sn "$1"
}
