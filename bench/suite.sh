#!/bin/bash
# The default redis-benchmark suite (every test it runs without -t), test by
# test, respd against redis-server alternately, at -P 1 and -P 16: requests
# per second and server CPU microseconds per request, with ratios.
#
#   bench/suite.sh [-n REQUESTS] [-P "1 16"]
set -e
. "$(dirname "$0")/common.sh"

N=100000
PIPES="1 16"
while getopts "n:P:" opt; do
    case $opt in n) N=$OPTARG ;; P) PIPES=$OPTARG ;; *) exit 2 ;; esac
done
TESTS="ping_inline ping_mbulk set get incr lpush rpush lpop rpop sadd hset spop zadd zpopmin lrange_100 lrange_300 lrange_500 lrange_600 mset"
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

# run_one PORT PID TEST P N: "rps cpu_us_per_request" of the test's last line
# (LRANGE tests first fill the list with an LPUSH run, which is not counted
# in the rps but is in the CPU: run it separately first).
run_one() {
    n=$5
    if [ "${3#lrange}" != "$3" ]; then
        redis-benchmark -p "$1" -c 50 -n "$n" -P "$4" -t lpush -q >/dev/null 2>&1
    fi
    before=$(cpu_ticks "$2")
    out=$(redis-benchmark -p "$1" -c 50 -n "$n" -P "$4" -t "$3" -q 2>&1 | tr '\r' '\n' | grep "requests per second")
    after=$(cpu_ticks "$2")
    runs=$(echo "$out" | wc -l)
    rps=$(echo "$out" | tail -1 | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')
    cpu=$(awk -v a="$after" -v b="$before" -v t="$TCK" -v n="$n" -v r="$runs" 'BEGIN { printf "%.3f", (a - b) * 1000000 / t / (n * r) }')
    echo "$rps $cpu"
}

printf "%-4s %-12s %12s %12s %7s %10s %10s %7s\n" "-P" "test" "respd rps" "redis rps" "ratio" "respd us" "redis us" "ratio"
for P in $PIPES; do
    n=$N
    [ "$P" -gt 1 ] && n=$((N * P / 4))
    for t in $TESTS; do
        tn=$n
        # LRANGE_500/600 replies are large: fewer requests keep the run short.
        [ "${t#lrange}" != "$t" ] && tn=$((n / 4))
        read -r r_rps r_cpu <<<"$(run_one "$RPORT" "$RESPD_PID" "$t" "$P" "$tn")"
        if [ $HAVE_REDIS = 1 ]; then
            read -r x_rps x_cpu <<<"$(run_one "$XPORT" "$REDIS_PID" "$t" "$P" "$tn")"
            awk -v P="$P" -v t="$t" -v a="$r_rps" -v b="$x_rps" -v c="$r_cpu" -v d="$x_cpu" 'BEGIN {
                printf "%-4s %-12s %12.0f %12.0f %7.2f %10.3f %10.3f %7.2f\n", P, t, a, b, (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0) }'
        else
            printf "%-4s %-12s %12.0f %12s %7s %10.3f %10s %7s\n" "$P" "$t" "$r_rps" "-" "-" "$r_cpu" "-" "-"
        fi
    done
done
