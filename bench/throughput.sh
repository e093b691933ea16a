#!/bin/bash
# Throughput and server CPU per request: redis-benchmark against respd and
# redis-server, alternating servers test by test in one run.
#
#   bench/throughput.sh [-n REQUESTS] [-c CLIENTS] [-P "1 16"] [-t "ping,set,..."]
#
# For every test it prints requests/s and server CPU microseconds per request
# (utime+stime from /proc/PID/stat over that test only), and the ratios
# respd/redis. CPU per request matters at -P 1, where the benchmark client
# itself saturates the two cores and requests/s says little about the server.
set -e
. "$(dirname "$0")/common.sh"

N=200000
C=50
PIPES="1 16"
TESTS="ping,set,get,incr,mset"
while getopts "n:c:P:t:" opt; do
    case $opt in
    n) N=$OPTARG ;; c) C=$OPTARG ;; P) PIPES=$OPTARG ;; t) TESTS=$OPTARG ;;
    *) exit 2 ;;
    esac
done

command -v redis-benchmark >/dev/null || { echo "redis-benchmark not installed (apt-get install redis-tools)"; exit 1; }
TCK=$(clk_tck)

RPORT=$(free_port)
start_server respd "$RPORT"
RESPD_PID=$SERVER_PID
HAVE_REDIS=0
if [ -n "$REDIS_BIN" ]; then
    XPORT=$(free_port)
    start_server redis "$XPORT"
    REDIS_PID=$SERVER_PID
    HAVE_REDIS=1
fi

# run_one PORT PID TEST P: prints "rps cpu_us_per_request". Pipelined runs
# send P/2 times more requests, so that the CPU time measured (in 10 ms
# ticks) stays well above its resolution. "ping" runs two tests (inline
# and multibulk): CPU is divided over both, the rps is the multibulk one.
run_one() {
    n=$N
    [ "$4" -gt 1 ] && n=$((N * $4 / 2))
    before=$(cpu_ticks "$2")
    out=$(redis-benchmark -p "$1" -c "$C" -n "$n" -P "$4" -t "$3" -q 2>&1 | tr '\r' '\n' | grep "requests per second")
    after=$(cpu_ticks "$2")
    runs=$(echo "$out" | wc -l)
    rps=$(echo "$out" | tail -1 | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')
    cpu=$(awk -v a="$after" -v b="$before" -v t="$TCK" -v n="$n" -v r="$runs" 'BEGIN { printf "%.3f", (a - b) * 1000000 / t / (n * r) }')
    echo "$rps $cpu"
}

printf "%-6s %-10s %12s %12s %8s %12s %12s %8s\n" "-P" "test" "respd rps" "redis rps" "ratio" "respd us/req" "redis us/req" "ratio"
for P in $PIPES; do
    for t in $(echo "$TESTS" | tr ',' ' '); do
        read -r r_rps r_cpu <<<"$(run_one "$RPORT" "$RESPD_PID" "$t" "$P")"
        if [ $HAVE_REDIS = 1 ]; then
            read -r x_rps x_cpu <<<"$(run_one "$XPORT" "$REDIS_PID" "$t" "$P")"
            awk -v P="$P" -v t="$t" -v a="$r_rps" -v b="$x_rps" -v c="$r_cpu" -v d="$x_cpu" 'BEGIN {
                printf "%-6s %-10s %12.0f %12.0f %8.2f %12.3f %12.3f %8.2f\n", P, t, a, b, (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0) }'
        else
            printf "%-6s %-10s %12.0f %12s %8s %12.3f %12s %8s\n" "$P" "$t" "$r_rps" "-" "-" "$r_cpu" "-" "-"
        fi
    done
done
