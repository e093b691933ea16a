#!/bin/bash
# Writes under a memory limit: redis-benchmark SETs random keys into respd
# and redis-server, each started with the same maxmemory and policy, so that
# after the first moments every write evicts. For each server and policy it
# prints requests/s, server CPU µs per request (utime+stime from /proc),
# the keys evicted, the keys held at the end, and used_memory at the end
# against the limit.
#
#   bench/evict.sh [-m MAXMEMORY] [-n REQUESTS] [-d VALUE_BYTES] [-P PIPELINE] [-p "policies"]
#
# Each server counts its own memory (used_memory), so the same limit holds
# a different number of keys: respd's entries are smaller.
set -e
. "$(dirname "$0")/common.sh"

MAXMEM=64mb
N=2000000
D=100
P=16
POLICIES="allkeys-lru allkeys-lfu allkeys-random"
while getopts "m:n:d:P:p:" opt; do
    case $opt in
    m) MAXMEM=$OPTARG ;; n) N=$OPTARG ;; d) D=$OPTARG ;; P) P=$OPTARG ;; p) POLICIES=$OPTARG ;;
    *) exit 2 ;;
    esac
done
command -v redis-benchmark >/dev/null || { echo "redis-benchmark not installed (apt-get install redis-tools)"; exit 1; }
TCK=$(clk_tck)

info_field() { # PORT SECTION FIELD
    redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'
}

run() { # NAME POLICY
    port=$(free_port)
    start_server "$1" "$port" --maxmemory "$MAXMEM" --maxmemory-policy "$2"
    pid=$SERVER_PID
    before=$(cpu_ticks "$pid")
    out=$(redis-benchmark -p "$port" -c 50 -n "$N" -P "$P" -d "$D" -r 100000000 -t set -q 2>&1 |
        tr '\r' '\n' | grep "requests per second" | tail -1)
    after=$(cpu_ticks "$pid")
    rps=$(echo "$out" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')
    cpu=$(awk -v a="$after" -v b="$before" -v t="$TCK" -v n="$N" 'BEGIN { printf "%.3f", (a - b) * 1000000 / t / n }')
    evicted=$(info_field "$port" stats evicted_keys)
    keys=$(redis-cli -p "$port" dbsize)
    used=$(info_field "$port" memory used_memory)
    limit=$(info_field "$port" memory maxmemory)
    printf "%-15s %-6s %12s %10s %10s %10s %12s %12s\n" "$2" "$1" "$rps" "$cpu" "$evicted" "$keys" "$used" "$limit"
    stop_server "$pid"
}

printf "%-15s %-6s %12s %10s %10s %10s %12s %12s\n" policy server "rps" "us/req" evicted keys used_memory maxmemory
for pol in $POLICIES; do
    run respd "$pol"
    [ -n "$REDIS_BIN" ] && run redis "$pol"
done
