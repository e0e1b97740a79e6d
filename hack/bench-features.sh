#!/usr/bin/env bash
# Times the per-customer features on PostgreSQL two ways over the same data:
#   1. psql copying the features query's rows out (\copy ... to /dev/null), the
#      floor any client can reach;
#   2. the Go connector (BenchmarkScanFeaturesPostgres: pgx binary scan into
#      customer.Features).
# Target: (2) within 1.3x of (1). Both under /usr/bin/time -v for peak RSS.
#
# Usage: hack/bench-features.sh            # 1M customers / 10M orders
#        CUSTOMERS=100000 ORDERS=1000000 hack/bench-features.sh
# The data lives in the dedicated database retention_bench (created if
# missing) and is reloaded only when its recorded size differs.
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS=${CUSTOMERS:-1000000}
ORDERS=${ORDERS:-10000000}
OUT=${OUT:-/tmp/retention-bench}
# shellcheck source=hack/lib/bench-shop.sh
. hack/lib/bench-shop.sh
BENCH_DSN=$(bench_dsn retention_bench)
mkdir -p "$OUT"

go build -o "$OUT/gendata" ./hack/gendata
go test -c -o "$OUT/datasource.test" ./internal/datasource

bench_shop_load retention_bench timed
psql "$BENCH_DSN" -tAc "SELECT 'rows: ' || (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders) || ' orders, ' || (SELECT count(*) FROM feedback) || ' feedback'"

# The very query the connector sends (AsOf/window literals inlined), on one
# line because \copy takes the rest of its line.
SQL=$("$OUT/gendata" --print-features-sql | tr '\n\t' '  ')

# Warm the cache once so both timings read the same hot pages.
psql "$BENCH_DSN" -qc "\\copy ($SQL) to /dev/null"

# The machine may be shared: alternate the two RUNS times and compare the best.
RUNS=${RUNS:-3}
for run in $(seq "$RUNS"); do
  /usr/bin/time -v psql "$BENCH_DSN" -qc "\\copy ($SQL) to /dev/null" 2> "$OUT/psql.$run.time"
  RETENTION_BENCH_POSTGRES_DSN="$BENCH_DSN" /usr/bin/time -v "$OUT/datasource.test" \
    -test.run '^$' -test.bench BenchmarkScanFeaturesPostgres -test.benchtime 1x -test.benchmem -test.v \
    > "$OUT/go.$run.out" 2> "$OUT/go.$run.time"
done
wall() { awk -F': ' '/Elapsed \(wall/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
best_psql=""; best_go=""; all_psql=""; all_go=""
for run in $(seq "$RUNS"); do
  p=$(wall "$OUT/psql.$run.time"); g=$(wall "$OUT/go.$run.time")
  echo "run $run: psql \\copy ${p}s (peak RSS $(rss "$OUT/psql.$run.time") KB)   Go scan ${g}s (peak RSS $(rss "$OUT/go.$run.time") KB)"
  grep -E "^BenchmarkScanFeaturesPostgres" "$OUT/go.$run.out"
  all_psql="$all_psql $p"; all_go="$all_go $g"
  best_psql=$(printf '%s\n' $best_psql $p | sort -g | head -1)
  best_go=$(printf '%s\n' $best_go $g | sort -g | head -1)
done
awk -v p="$best_psql" -v g="$best_go" 'BEGIN { printf "best: psql %.2fs, Go %.2fs, ratio Go/psql %.2f (target <= 1.30)\n", p, g, g / p }'
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# shellcheck disable=SC2086 # word splitting of the lists is intended
awk -v p="$(median $all_psql)" -v g="$(median $all_go)" 'BEGIN { printf "median: psql %.2fs, Go %.2fs, ratio Go/psql %.2f\n", p, g, g / p }'
