#!/bin/bash
# Fairness: one client pipelines PIPELINE GETs of a VALUE_KB value in one
# write and reads the replies as fast as it can, while another client sends
# PINGs back to back. For respd and redis-server in turn, ROUNDS times each:
# how long the heavy client took, the PING round trips meanwhile (µs), and for
# respd its longest event-loop cycle during the run (INFO debug
# eventloop_duration_max after CONFIG RESETSTAT; Redis 7.0 has no such field,
# there the PING maximum is the measure of its stall).
#
#   bench/fairness.sh [-p PIPELINE] [-k VALUE_KB] [-r ROUNDS]
set -e
. "$(dirname "$0")/common.sh"

P=256
K=1024
R=3
while getopts "p:k:r:" opt; do
    case $opt in p) P=$OPTARG ;; k) K=$OPTARG ;; r) R=$OPTARG ;; *) exit 2 ;; esac
done
build_loadgen

echo "$P pipelined GETs of $K KB, $R rounds per server"
printf "%-6s %5s %9s %6s %8s %8s %8s %14s\n" server round "heavy ms" pings "p50 us" "p99 us" \
    "max us" "longest tick us"
for s in respd redis; do
    [ "$s" = redis ] && [ -z "$REDIS_BIN" ] && continue
    port=$(free_port)
    start_server "$s" "$port"
    for r in $(seq 1 "$R"); do
        redis-cli -p "$port" config resetstat >/dev/null
        read -r hm n p50 p99 max <<<"$("$BENCH_TMP/loadgen" fairness "$port" "$P" "$K")"
        tick=-
        if [ "$s" = respd ]; then
            tick=$(redis-cli -p "$port" info debug | tr -d '\r' |
                awk -F: '$1 == "eventloop_duration_max" { print $2 }')
        fi
        printf "%-6s %5s %9s %6s %8s %8s %8s %14s\n" "$s" "$r" "$hm" "$n" "$p50" "$p99" "$max" \
            "$tick"
    done
    stop_server "$SERVER_PID"
done
