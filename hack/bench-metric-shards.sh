#!/usr/bin/env bash
# Times the Segment metric job on PostgreSQL run by one pod and sharded 1, 2
# and 4 ways (BenchmarkMetricJobShardsPostgres), both with the shards running
# at once (an Indexed Job's pods on this machine) and one after the other
# (per-shard time when each shard has the cores to itself). Every metric is
# requested, the criteria is pushed into SQL, and every variant must publish
# the same figures.
#
# Usage: hack/bench-metric-shards.sh                    # 100k customers / 1M orders
#        CUSTOMERS=1000000 ORDERS=10000000 hack/bench-metric-shards.sh
# Data is loaded by hack/gendata into the database retention_bench_shards,
# reloaded only when its recorded size differs.
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS=${CUSTOMERS:-100000}
ORDERS=${ORDERS:-1000000}
COUNT=${COUNT:-3}
OUT=${OUT:-/tmp/retention-bench-shards}
# shellcheck source=hack/lib/bench-shop.sh
. hack/lib/bench-shop.sh
BENCH_DSN=$(bench_dsn retention_bench_shards)
mkdir -p "$OUT"

go build -o "$OUT/gendata" ./hack/gendata
go test -c -o "$OUT/metrics.test" ./internal/worker/metrics

bench_shop_load retention_bench_shards
if [ "$BENCH_RELOADED" = 1 ]; then
  psql "$BENCH_DSN" -qc "DROP SCHEMA IF EXISTS retention_state CASCADE"
fi
psql "$BENCH_DSN" -tAc "SELECT 'rows: ' || (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders) || ' orders'"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
RETENTION_BENCH_SHARDS_POSTGRES_DSN="$BENCH_DSN" "$OUT/metrics.test" -test.run '^$' \
  -test.bench 'BenchmarkMetricJobShardsPostgres' -test.benchtime 1x -test.count "$COUNT" -test.v 2>&1 |
  grep -E '^Benchmark|shard times|size=' | tee "$OUT/result.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
