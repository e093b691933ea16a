#!/bin/bash
# Durability benchmarks, respd against redis-server configured the same:
#  1. redis-benchmark throughput with appendonly yes and appendfsync
#     everysec / always (tests given with -t, default set,incr,lpush when
#     the server supports LPUSH);
#  2. the time to load a large AOF (-s MB, default 1024), measured from the
#     start of the process until it answers PING.
#
#   bench/aof.sh [-n REQUESTS] [-t TESTS] [-s MB] [-L] (-L: skip the load test)
set -e
. "$(dirname "$0")/common.sh"

N=100000
TESTS="set,incr,lpush"
SIZE_MB=1024
SKIP_LOAD=0
while getopts "n:t:s:L" opt; do
    case $opt in n) N=$OPTARG ;; t) TESTS=$OPTARG ;; s) SIZE_MB=$OPTARG ;; L) SKIP_LOAD=1 ;; *) exit 2 ;; esac
done

# start_aof NAME PORT DIR POLICY: a server with AOF on in DIR.
start_aof() {
    if [ "$1" = respd ]; then
        "$RESPD_BIN" --port "$2" --bind 127.0.0.1 --dir "$3" --appendonly yes --appendfsync "$4" \
            >"$3/server.log" 2>&1 &
    else
        "$REDIS_BIN" --port "$2" --bind 127.0.0.1 --dir "$3" --appendonly yes --appendfsync "$4" \
            --save "" --aof-use-rdb-preamble no >"$3/server.log" 2>&1 &
    fi
    SERVER_PID=$!
    BENCH_PIDS="$BENCH_PIDS $SERVER_PID"
}

# rps PORT TEST: requests per second of one redis-benchmark test
rps() {
    redis-benchmark -p "$1" -c 50 -n "$N" -t "$2" -q 2>&1 | tr '\r' '\n' | grep "requests per second" |
        tail -1 | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/'
}

echo "== throughput with the AOF on (redis-benchmark -c 50 -n $N)"
printf "%-10s %-6s %12s %12s %8s\n" "fsync" "test" "respd rps" "redis rps" "ratio"
for policy in everysec always; do
    for t in $(echo "$TESTS" | tr ',' ' '); do
        d1=$(mktemp -d "$BENCH_TMP/r.XXXX")
        p1=$(free_port)
        start_aof respd "$p1" "$d1" "$policy"
        wait_ready "$p1"
        if ! redis-cli -p "$p1" command info "$t" | grep -q "$t"; then
            printf "%-10s %-6s %12s\n" "$policy" "$t" "(not supported by respd yet)"
            stop_server "$SERVER_PID"
            continue
        fi
        a=$(rps "$p1" "$t")
        stop_server "$SERVER_PID"
        b="-"
        if [ -n "$REDIS_BIN" ]; then
            d2=$(mktemp -d "$BENCH_TMP/x.XXXX")
            p2=$(free_port)
            start_aof redis "$p2" "$d2" "$policy"
            wait_ready "$p2"
            b=$(rps "$p2" "$t")
            stop_server "$SERVER_PID"
        fi
        awk -v p="$policy" -v t="$t" -v a="$a" -v b="$b" 'BEGIN {
            if (b == "-") printf "%-10s %-6s %12.0f %12s %8s\n", p, t, a, "-", "-";
            else printf "%-10s %-6s %12.0f %12.0f %8.2f\n", p, t, a, b, a / b }'
    done
done

[ "$SKIP_LOAD" = 1 ] && exit 0

echo
echo "== time to load a ${SIZE_MB} MB AOF (start until PING answers)"
gen_dir=$(mktemp -d "$BENCH_TMP/gen.XXXX")
# SET key:N <100-byte value>: about 150 bytes a command.
awk -v mb="$SIZE_MB" 'BEGIN {
    v = sprintf("%0100d", 0);
    printf "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
    total = 0; limit = mb * 1024 * 1024;
    for (i = 0; total < limit; i++) {
        k = sprintf("key:%012d", i);
        s = sprintf("*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$100\r\n%s\r\n", k, v);
        printf "%s", s;
        total += length(s);
    }
}' >"$gen_dir/appendonly.aof"
ls -l "$gen_dir/appendonly.aof" | awk '{ printf "file: %d bytes\n", $5 }'

# load_time NAME: seconds from exec to the first PONG.
load_time() {
    d=$(mktemp -d "$BENCH_TMP/load.XXXX")
    ln "$gen_dir/appendonly.aof" "$d/appendonly.aof" 2>/dev/null || cp "$gen_dir/appendonly.aof" "$d/"
    p=$(free_port)
    t0=$(date +%s.%N)
    start_aof "$1" "$p" "$d" everysec
    until redis-cli -p "$p" ping 2>/dev/null | grep -q PONG; do sleep 0.05; done
    t1=$(date +%s.%N)
    keys=$(redis-cli -p "$p" dbsize)
    stop_server "$SERVER_PID"
    awk -v a="$t0" -v b="$t1" -v k="$keys" -v n="$1" 'BEGIN { printf "%-6s %8.2f s  (%d keys)\n", n, b - a, k }'
}
load_time respd
[ -n "$REDIS_BIN" ] && load_time redis
