#!/usr/bin/env bash
# Times a daily incremental metric run against a full one on PostgreSQL
# (docs/metrics-incremental.md). Per variant (internal/worker/metrics
# benchSegments: pushdown, orders, predict):
#   day 0 (AsOf = gendata's --end): a plain run (no spec.incremental) and a
#     first run in each of two state stores (which stores the aggregates);
#   then one day of business is added: 10,000 orders dated in the new day and
#     100 late orders dated in the week before (order ids bench-day-*);
#   day 1 (AsOf + 24h), timed: the plain run (today's job: recompute all),
#     the incremental run (first store) and a --full run (second store).
# The incremental run's summary must equal the --full run's; the script
# fails otherwise. Target: incremental <= 0.1x the plain full run.
#
# With UPDATED_AT=1 the orders table gets an updated_at column (indexed) that
# the day's inserts stamp, so the run finds them by it; without, by date,
# re-reading the overlap (7 days) of orders every run.
#
# Usage: hack/bench-incremental.sh                       # 100k customers / 1M orders
#        CUSTOMERS=1000000 ORDERS=10000000 hack/bench-incremental.sh
#        VARIANTS="pushdown predict" RUNS=3 UPDATED_AT=1 hack/bench-incremental.sh
#        NEW_ORDERS=1000 LATE_ORDERS=10 hack/bench-incremental.sh   # a 0.1% day at 1M orders
# Data goes into the database retention_bench_incremental (its own: the day's
# orders are added and removed again), reloaded only when its size differs.
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS=${CUSTOMERS:-100000}
ORDERS=${ORDERS:-1000000}
OUT=${OUT:-/tmp/retention-bench-incremental}
# shellcheck source=hack/lib/bench-shop.sh
. hack/lib/bench-shop.sh
BENCH_DSN=$(bench_dsn retention_bench_incremental)
NEW_ORDERS=${NEW_ORDERS:-10000}
LATE_ORDERS=${LATE_ORDERS:-100}
RUNS=${RUNS:-1}
UPDATED_AT=${UPDATED_AT:-0}
export PGOPTIONS="-c client_min_messages=warning"
VARIANTS=${VARIANTS:-pushdown orders predict}
T0=2025-01-01T00:00:00Z # gendata's default --end
T1=2025-01-02T00:00:00Z
mkdir -p "$OUT"

go build -o "$OUT/gendata" ./hack/gendata
go test -c -o "$OUT/metrics.test" ./internal/worker/metrics

bench_shop_load retention_bench_incremental timed
# Incremental runs find the day's orders by date: the index they need.
psql "$BENCH_DSN" -qc "CREATE INDEX IF NOT EXISTS orders_occurred_at ON orders (occurred_at)"
if [ "$UPDATED_AT" = 1 ]; then
  psql "$BENCH_DSN" -qc "ALTER TABLE orders ADD COLUMN IF NOT EXISTS updated_at timestamptz"
  psql "$BENCH_DSN" -qc "CREATE INDEX IF NOT EXISTS orders_updated_at ON orders (updated_at)"
  stamp=", updated_at"; stampv=", now()"
else
  psql "$BENCH_DSN" -qc "ALTER TABLE orders DROP COLUMN IF EXISTS updated_at"
  stamp=""; stampv=""
fi

reset_day() {
  psql "$BENCH_DSN" -qc "DELETE FROM orders WHERE order_id LIKE 'bench-day-%'"
  psql "$BENCH_DSN" -qc "DROP SCHEMA IF EXISTS state_plain CASCADE; DROP SCHEMA IF EXISTS state_incr CASCADE; DROP SCHEMA IF EXISTS state_full CASCADE"
  psql "$BENCH_DSN" -qc "VACUUM ANALYZE orders"
}

# The day: NEW_ORDERS orders dated in (T0, T1] and LATE_ORDERS dated in the
# week before T0, for customers spread over the base.
add_day() {
  psql "$BENCH_DSN" -q <<SQL
CREATE TEMP TABLE ids AS SELECT id, row_number() OVER (ORDER BY id) AS rn FROM customers;
INSERT INTO orders (customer_id, order_id, amount, occurred_at$stamp)
SELECT ids.id, 'bench-day-' || g, round((5 + (g * 37) % 200)::numeric, 2)::float8,
       timestamptz '$T0' + make_interval(secs => 1 + (g * 7.919)::numeric % 86399)$stampv
FROM generate_series(1, $NEW_ORDERS) g JOIN ids ON ids.rn = 1 + (g * 7919) % (SELECT count(*) FROM customers);
INSERT INTO orders (customer_id, order_id, amount, occurred_at$stamp)
SELECT ids.id, 'bench-day-late-' || g, round((5 + (g * 41) % 200)::numeric, 2)::float8,
       timestamptz '$T0' - make_interval(days => 1 + g % 6, secs => (g * 613) % 86399)$stampv
FROM generate_series(1, $LATE_ORDERS) g JOIN ids ON ids.rn = 1 + (g * 104729) % (SELECT count(*) FROM customers);
ANALYZE orders;
SQL
}

job() { # variant mode state asof tag
  RETENTION_BENCH_POSTGRES_DSN="$BENCH_DSN" RETENTION_BENCH_VARIANT="$1" RETENTION_BENCH_MODE="$2" \
    RETENTION_BENCH_STATE="$3" RETENTION_BENCH_ASOF="$4" \
    /usr/bin/time -f "%e s wall, %M KB peak RSS" "$OUT/metrics.test" \
    -test.run '^$' -test.bench "BenchmarkIncrementalPostgres\$" -test.benchtime 1x -test.v \
    > "$OUT/$5.out" 2> "$OUT/$5.err" || { cat "$OUT/$5.out" "$OUT/$5.err"; exit 1; }
}
wall() { tail -1 "$OUT/$1.err" | awk '{print $1}'; }
figures() { grep -o 'figures: .*' "$OUT/$1.out"; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); day: $NEW_ORDERS new + $LATE_ORDERS late orders; updated_at: $UPDATED_AT"
psql "$BENCH_DSN" -tAc "SELECT 'rows: ' || (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders WHERE order_id NOT LIKE 'bench-day-%') || ' orders'"
for run in $(seq "$RUNS"); do
  for v in $VARIANTS; do
    reset_day
    job "$v" plain state_plain "$T0" "$v.$run.day0-plain"
    job "$v" full state_incr "$T0" "$v.$run.day0-incr"
    job "$v" full state_full "$T0" "$v.$run.day0-full"
    add_day
    job "$v" plain state_plain "$T1" "$v.$run.plain"
    job "$v" incremental state_incr "$T1" "$v.$run.incr"
    job "$v" full state_full "$T1" "$v.$run.full"
    p=$(wall "$v.$run.plain"); i=$(wall "$v.$run.incr"); f=$(wall "$v.$run.full")
    if [ "$(figures "$v.$run.incr")" != "$(figures "$v.$run.full")" ]; then
      echo "run $run $v: incremental and --full figures DIFFER"; figures "$v.$run.incr"; figures "$v.$run.full"; exit 1
    fi
    grep -ho 'mode=[a-z]* reason=[^ ]*\|recomputed=[0-9]*' "$OUT/$v.$run.incr.err" | tr '\n' ' ' | sed "s/^/run $run $v incremental: /"; echo
    awk -v v="$v" -v r="$run" -v p="$p" -v i="$i" -v f="$f" -v la="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      printf "run %s %s: plain full %.2f s, --full %.2f s, incremental %.2f s = %.3fx plain, %.3fx --full (figures equal; load %s)\n", r, v, p, f, i, i / p, i / f, la }'
    grep -h 'segment run finished' "$OUT/$v.$run.incr.err" | grep -o 'duration=[^ ]*\|scan=[^ ]*\|snapshot=[^ ]*\|size=[^ ]*' | tr '\n' ' ' | sed 's/^/    incremental: /'; echo
    grep -h 'segment aggregates' "$OUT/$v.$run.incr.err" | grep -o ' changed=[^ ]*\| load=[^ ]*\| changes=[^ ]*\| read=[^ ]*\| merge=[^ ]*\| write=[^ ]*' | tr -d '\n' | sed 's/^/    aggregates:/'; echo
    grep -h 'segment run finished' "$OUT/$v.$run.incr.err" | grep -o 'entered=[^ ]*\|exited=[^ ]*\|rowsRewritten=[^ ]*' | tr '\n' ' ' | sed 's/^/    snapshot diff: /'; echo
  done
done
reset_day >/dev/null
