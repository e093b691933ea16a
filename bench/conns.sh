#!/bin/bash
# 10,000 concurrent connections (each answers one PING first), then after a
# second to let the kernel settle, 50 of them busy with 8 requests in flight
# and PING round trips from one more client every 2 ms for SECONDS: latency
# percentiles for respd and redis-server, one after the other.
#
#   bench/conns.sh [-c CONNECTIONS] [-a ACTIVE] [-t SECONDS]
set -e
. "$(dirname "$0")/common.sh"

C=10000
A=50
T=5
while getopts "c:a:t:" opt; do
    case $opt in c) C=$OPTARG ;; a) A=$OPTARG ;; t) T=$OPTARG ;; *) exit 2 ;; esac
done
# Both servers and loadgen need a descriptor per connection and some more.
ulimit -n $((C + 512)) 2>/dev/null || {
    echo "cannot raise the open-file limit to $((C + 512)) (hard limit $(ulimit -Hn))" >&2
    exit 1
}
build_loadgen

printf "%-6s %11s %6s %9s %8s %8s %8s %8s %8s\n" server "connect ms" pings requests "p50 us" \
    "p90 us" "p99 us" "p99.9 us" "max us"
for s in respd redis; do
    [ "$s" = redis ] && [ -z "$REDIS_BIN" ] && continue
    port=$(free_port)
    start_server "$s" "$port" --maxclients $((C + 100))
    read -r cm n req p50 p90 p99 p999 max <<<"$("$BENCH_TMP/loadgen" conns "$port" "$C" "$A" "$T")"
    stop_server "$SERVER_PID"
    printf "%-6s %11s %6s %9s %8s %8s %8s %8s %8s\n" "$s" "$cm" "$n" "$req" "$p50" "$p90" "$p99" \
        "$p999" "$max"
done
