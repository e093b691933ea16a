#!/bin/bash
# Resident memory of collections: N hashes of 10 fields and N sorted sets of
# 10 members (small values, so both servers use their compact encodings),
# loaded into a fresh respd and a fresh redis-server; RSS growth per key.
#
#   bench/memory_types.sh [-n KEYS]
set -e
. "$(dirname "$0")/common.sh"

N=100000
while getopts "n:" opt; do
    case $opt in n) N=$OPTARG ;; *) exit 2 ;; esac
done

gen() {
    awk -v n="$N" -v kind="$1" 'BEGIN {
        for (i = 0; i < n; i++) {
            k = sprintf("%s:%08d", kind, i);
            if (kind == "hash") {
                printf "*22\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", length(k), k;
                for (f = 0; f < 10; f++) {
                    fld = sprintf("field%d", f); val = sprintf("value-%06d", i % 1000000);
                    printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(fld), fld, length(val), val;
                }
            } else {
                printf "*22\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n", length(k), k;
                for (m = 0; m < 10; m++) {
                    sc = sprintf("%d", (i * 7 + m * 13) % 1000); mem = sprintf("member-%d", m);
                    printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(sc), sc, length(mem), mem;
                }
            }
        }
    }'
}
gen hash >"$BENCH_TMP/hash.resp"
gen zset >"$BENCH_TMP/zset.resp"

measure() {
    port=$(free_port)
    start_server "$1" "$port"
    pid=$SERVER_PID
    before=$(rss_bytes "$pid")
    redis-cli -p "$port" --pipe <"$2" >/dev/null
    keys=$(redis-cli -p "$port" dbsize)
    after=$(rss_bytes "$pid")
    enc=$(redis-cli -p "$port" object encoding "$3")
    stop_server "$pid"
    [ "$keys" = "$N" ] || { echo "$1: expected $N keys, found $keys" >&2; exit 1; }
    awk -v a="$after" -v b="$before" -v n="$N" -v e="$enc" 'BEGIN { printf "%.1f %s", (a - b) / n, e }'
}

printf "%-6s %14s %14s %8s  %s\n" "type" "respd B/key" "redis B/key" "ratio" "encodings"
for kind in hash zset; do
    read -r r renc <<<"$(measure respd "$BENCH_TMP/$kind.resp" "$kind:00000000")"
    if [ -n "$REDIS_BIN" ]; then
        read -r x xenc <<<"$(measure redis "$BENCH_TMP/$kind.resp" "$kind:00000000")"
        awk -v k="$kind" -v a="$r" -v b="$x" -v e1="$renc" -v e2="$xenc" 'BEGIN { printf "%-6s %14.1f %14.1f %8.2f  %s/%s\n", k, a, b, a / b, e1, e2 }'
    else
        printf "%-6s %14.1f %14s %8s  %s\n" "$kind" "$r" "-" "-" "$renc"
    fi
done
