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
SEED=${SEED:-1}
COUNT=${COUNT:-3}
PGBASE=${PGBASE:-postgres://postgres@127.0.0.1:5432}
ADMIN_DSN="$PGBASE/postgres?sslmode=disable"
BENCH_DSN="$PGBASE/retention_bench_shards?sslmode=disable"
OUT=${OUT:-/tmp/retention-bench-shards}
mkdir -p "$OUT"

go build -o "$OUT/gendata" ./hack/gendata
go test -c -o "$OUT/metrics.test" ./internal/worker/metrics

if [ "$(psql "$ADMIN_DSN" -tAc "SELECT 1 FROM pg_database WHERE datname = 'retention_bench_shards'")" != "1" ]; then
  psql "$ADMIN_DSN" -qc "CREATE DATABASE retention_bench_shards"
fi
want="$CUSTOMERS/$ORDERS/$SEED"
have=$(psql "$BENCH_DSN" -tAc "SELECT customers || '/' || orders_target || '/' || seed FROM bench_meta
  WHERE (SELECT count(*) FROM customers) = customers" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "loading $CUSTOMERS customers / ~$ORDERS orders (seed $SEED) into retention_bench_shards"
  psql "$BENCH_DSN" -qc "DROP TABLE IF EXISTS bench_meta"
  "$OUT/gendata" --customers "$CUSTOMERS" --orders "$ORDERS" --seed "$SEED" --postgres "$BENCH_DSN"
  psql "$BENCH_DSN" -qc "CREATE TABLE bench_meta AS SELECT $CUSTOMERS AS customers, $ORDERS AS orders_target, $SEED AS seed"
  psql "$BENCH_DSN" -qc "DROP SCHEMA IF EXISTS retention_state CASCADE"
fi
psql "$BENCH_DSN" -tAc "SELECT 'rows: ' || (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders) || ' orders'"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
RETENTION_BENCH_SHARDS_POSTGRES_DSN="$BENCH_DSN" "$OUT/metrics.test" -test.run '^$' \
  -test.bench 'BenchmarkMetricJobShardsPostgres' -test.benchtime 1x -test.count "$COUNT" -test.v 2>&1 |
  grep -E '^Benchmark|shard times|size=' | tee "$OUT/result.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
