# Shared helpers for the benchmark scripts: start/stop servers on free
# loopback ports and read their CPU time and resident memory from /proc.
# Sourced by the bench/*.sh scripts; not meant to be run directly.

RESPD_BIN=${RESPD_BIN:-$(cd "$(dirname "$0")/.." && pwd)/respd}
REDIS_BIN=${REDIS_BIN:-$(command -v redis-server || true)}
BENCH_TMP=$(mktemp -d /tmp/respd-bench.XXXXXX)
BENCH_PIDS=""

cleanup() {
    # Under the scripts' set -e a server already stopped (kill and wait
    # fail) would end the clean-up before the rm.
    for p in $BENCH_PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $BENCH_PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$BENCH_TMP"
}
trap cleanup EXIT INT TERM

free_port() {
    # Ask the kernel for a free port by binding port 0, as the tests do.
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + $$ % 20000 + RANDOM % 1000))
}

wait_ready() {
    # wait_ready PORT: until PING answers, at most 10 s
    i=0
    while [ $i -lt 100 ]; do
        if redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "server on port $1 did not start" >&2
    return 1
}

# start_server NAME PORT [extra args...]: starts respd or redis with no
# persistence on 127.0.0.1:PORT; sets SERVER_PID.
start_server() {
    name=$1
    port=$2
    shift 2
    if [ "$name" = respd ]; then
        "$RESPD_BIN" --port "$port" --bind 127.0.0.1 --appendonly no "$@" \
            >"$BENCH_TMP/$name.$port.log" 2>&1 &
    else
        "$REDIS_BIN" --port "$port" --bind 127.0.0.1 --save "" --appendonly no "$@" \
            >"$BENCH_TMP/$name.$port.log" 2>&1 &
    fi
    SERVER_PID=$!
    BENCH_PIDS="$BENCH_PIDS $SERVER_PID"
    wait_ready "$port"
}

# build_loadgen: compiles bench/loadgen.c (with tests/integration/workload.h)
# into $BENCH_TMP/loadgen.
build_loadgen() {
    root=$(cd "$(dirname "$0")/.." && pwd)
    cc -std=gnu11 -O2 -D_GNU_SOURCE -I"$root/tests/integration" -o "$BENCH_TMP/loadgen" \
        "$root/bench/loadgen.c" -pthread
}

stop_server() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# cpu_ticks PID: utime+stime of the process (all threads), in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# rss_bytes PID: resident set size in bytes.
rss_bytes() {
    awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

clk_tck() {
    getconf CLK_TCK
}
