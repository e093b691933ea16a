#!/bin/bash
# The soak test's request stream (tests/integration/workload.h: strings,
# lists, hashes, sets, sorted sets, counters, expiries, deletes) from four
# clients with 16 requests in flight each, against respd and redis-server in
# turn: resident memory every STEP requests, side by side.
#
#   bench/soak.sh [-n REQUESTS] [-s STEP]
set -e
. "$(dirname "$0")/common.sh"

N=2000000
STEP=250000
while getopts "n:s:" opt; do
    case $opt in n) N=$OPTARG ;; s) STEP=$OPTARG ;; *) exit 2 ;; esac
done
build_loadgen

# run NAME: "requests ms rss_kb" lines for one server, in $BENCH_TMP/NAME.soak
run() {
    port=$(free_port)
    start_server "$1" "$port"
    "$BENCH_TMP/loadgen" soak "$port" "$SERVER_PID" "$N" "$STEP" >"$BENCH_TMP/$1.soak"
    stop_server "$SERVER_PID"
}

run respd
SERVERS="respd"
if [ -n "$REDIS_BIN" ]; then
    run redis
    SERVERS="respd redis"
fi

printf "%10s %10s %12s %10s %12s %7s\n" requests "respd s" "respd RSS MB" "redis s" \
    "redis RSS MB" ratio
if [ "$SERVERS" = "respd redis" ]; then
    paste -d' ' "$BENCH_TMP/respd.soak" "$BENCH_TMP/redis.soak" | awk '{
        printf "%10d %10.1f %12.1f %10.1f %12.1f %7.2f\n", $1, $2 / 1000, $3 / 1024, $5 / 1000,
            $6 / 1024, ($6 > 0 ? $3 / $6 : 0) }'
else
    awk '{ printf "%10d %10.1f %12.1f %10s %12s %7s\n", $1, $2 / 1000, $3 / 1024, "-", "-", "-" }' \
        "$BENCH_TMP/respd.soak"
fi
# The figure the soak test asserts: RSS after the last step against the
# middle one.
for s in $SERVERS; do
    awk -v s="$s" -v n="$N" '{ rss[NR] = $3; req[NR] = $1 }
        END { m = int((NR + 1) / 2); if (m < 2) m = 2
              printf "%s: RSS at %d requests %.1f MB, at %d %.1f MB: %+.1f%%\n", s, req[m],
                  rss[m] / 1024, req[NR], rss[NR] / 1024, (rss[NR] - rss[m]) * 100 / rss[m] }' \
        "$BENCH_TMP/$s.soak"
done
