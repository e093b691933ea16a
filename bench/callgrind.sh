#!/bin/bash
# Instructions per request under callgrind (deterministic, unlike time): the
# server runs under valgrind while one client sends N1 and then N2 requests;
# the difference of the two totals divided by N2-N1 cancels start-up and
# shutdown costs.
#
#   bench/callgrind.sh [-t "get set"] [-a N1] [-b N2]
set -e
. "$(dirname "$0")/common.sh"

TESTS="get set"
N1=2000
N2=12000
while getopts "t:a:b:" opt; do
    case $opt in t) TESTS=$OPTARG ;; a) N1=$OPTARG ;; b) N2=$OPTARG ;; *) exit 2 ;; esac
done
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 1; }

# total_ir NAME TEST N: instructions executed by the whole server run.
total_ir() {
    port=$(free_port)
    out="$BENCH_TMP/cg.$1.$2.$3"
    if [ "$1" = respd ]; then
        valgrind --tool=callgrind --callgrind-out-file="$out" "$RESPD_BIN" --port "$port" \
            --bind 127.0.0.1 --appendonly no --hz 10 >"$out.log" 2>&1 &
    else
        valgrind --tool=callgrind --callgrind-out-file="$out" "$REDIS_BIN" --port "$port" \
            --bind 127.0.0.1 --save "" --appendonly no --hz 10 >"$out.log" 2>&1 &
    fi
    pid=$!
    BENCH_PIDS="$BENCH_PIDS $pid"
    i=0
    until redis-cli -p "$port" ping >/dev/null 2>&1; do
        sleep 0.2
        i=$((i + 1))
        [ $i -lt 150 ] || { echo "server under valgrind did not start" >&2; exit 1; }
    done
    redis-benchmark -p "$port" -c 1 -n "$3" -t "$2" -q >/dev/null 2>&1
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    awk '/^summary:/ { print $2 }' "$out"
}

printf "%-6s %14s %14s %8s\n" "test" "respd Ir/req" "redis Ir/req" "ratio"
for t in $TESTS; do
    a1=$(total_ir respd "$t" "$N1")
    a2=$(total_ir respd "$t" "$N2")
    r=$(awk -v a="$a1" -v b="$a2" -v n1="$N1" -v n2="$N2" 'BEGIN { printf "%.0f", (b - a) / (n2 - n1) }')
    if [ -n "$REDIS_BIN" ]; then
        b1=$(total_ir redis "$t" "$N1")
        b2=$(total_ir redis "$t" "$N2")
        x=$(awk -v a="$b1" -v b="$b2" -v n1="$N1" -v n2="$N2" 'BEGIN { printf "%.0f", (b - a) / (n2 - n1) }')
        awk -v t="$t" -v a="$r" -v b="$x" 'BEGIN { printf "%-6s %14d %14d %8.2f\n", t, a, b, a / b }'
    else
        printf "%-6s %14d %14s %8s\n" "$t" "$r" "-" "-"
    fi
done
