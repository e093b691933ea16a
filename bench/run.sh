#!/bin/bash
# make bench: every benchmark, respd against redis-server when installed.
set -e
cd "$(dirname "$0")/.."
echo "== throughput (redis-benchmark -c 50 -n 200000 -t ping,set,get,incr,mset, -P 1 and 16)"
bench/throughput.sh
echo
echo "== memory per key (1,000,000 keys key:%010d, 16-byte values)"
bench/memory.sh
echo
echo "== instructions per request (callgrind, one client)"
bench/callgrind.sh
