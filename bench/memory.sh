#!/bin/bash
# Resident memory per key: load N keys (key:%010d, 16-byte values) into a
# fresh respd and a fresh redis-server, with and without a TTL on every key,
# and report the RSS growth divided by N.
#
#   bench/memory.sh [-n KEYS]
set -e
. "$(dirname "$0")/common.sh"

N=1000000
while getopts "n:" opt; do
    case $opt in n) N=$OPTARG ;; *) exit 2 ;; esac
done

command -v redis-cli >/dev/null || { echo "redis-cli not installed (apt-get install redis-tools)"; exit 1; }

# gen_protocol N TTL: SET commands as RESP, for redis-cli --pipe.
gen_protocol() {
    awk -v n="$1" -v ttl="$2" 'BEGIN {
        v = "vvvvvvvvvvvvvvvv";
        for (i = 0; i < n; i++) {
            k = sprintf("key:%010d", i);
            if (ttl > 0)
                printf "*5\r\n$3\r\nSET\r\n$14\r\n%s\r\n$16\r\n%s\r\n$2\r\nEX\r\n$%d\r\n%d\r\n", k, v, length(ttl ""), ttl;
            else
                printf "*3\r\n$3\r\nSET\r\n$14\r\n%s\r\n$16\r\n%s\r\n", k, v;
        }
    }'
}

gen_protocol "$N" 0 >"$BENCH_TMP/plain.resp"
gen_protocol "$N" 1000000 >"$BENCH_TMP/ttl.resp"

# measure NAME FILE: prints bytes per key
measure() {
    port=$(free_port)
    start_server "$1" "$port"
    pid=$SERVER_PID
    before=$(rss_bytes "$pid")
    redis-cli -p "$port" --pipe <"$2" >/dev/null
    keys=$(redis-cli -p "$port" dbsize)
    after=$(rss_bytes "$pid")
    stop_server "$pid"
    if [ "$keys" != "$N" ]; then
        echo "$1: expected $N keys, found $keys" >&2
        exit 1
    fi
    awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }'
}

printf "%-10s %14s %14s %8s\n" "keys" "respd B/key" "redis B/key" "ratio"
for kind in plain ttl; do
    r=$(measure respd "$BENCH_TMP/$kind.resp")
    if [ -n "$REDIS_BIN" ]; then
        x=$(measure redis "$BENCH_TMP/$kind.resp")
        awk -v k="$kind" -v a="$r" -v b="$x" 'BEGIN { printf "%-10s %14.1f %14.1f %8.2f\n", k, a, b, a / b }'
    else
        printf "%-10s %14.1f %14s %8s\n" "$kind" "$r" "-" "-"
    fi
done
