#!/usr/bin/env bash
# Times the Segment metric job end to end on PostgreSQL against psql copying
# out the same per-customer features (one GROUP BY) over the same data:
#   1. psql "\copy (features query) to /dev/null" — the floor any client reaches;
#   2. the shipped worker binary, `worker metrics` with its default flags, on
#      the spec the controller would mount for each Segment of
#      hack/bench-segments.yaml (rendered by hack/metricspec): features scan,
#      CEL or SQL criteria, metrics, membership COPY and diff in a PostgreSQL
#      state store, the report written to a file. --as-of pins the run to the
#      data's end (gendata's --end), the instant the psql query uses.
# Target: (2) within 1.3x of (1). Both run under /usr/bin/time -v (peak RSS),
# alternating, RUNS times each; best and median are compared, and the ratio
# table (variant, best, median, peak RSS) is printed at the end.
#
# Usage: hack/bench-metric-job.sh                      # 1M customers / 10M orders
#        CUSTOMERS=100000 ORDERS=1000000 hack/bench-metric-job.sh
#        VARIANTS="pushdown goeval orders predict" RUNS=3 hack/bench-metric-job.sh
# Data is loaded by hack/bench-features.sh's loader (hack/gendata) into the
# database retention_bench; it is reloaded only when its recorded size differs.
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS=${CUSTOMERS:-1000000}
ORDERS=${ORDERS:-10000000}
OUT=${OUT:-/tmp/retention-bench-metric-job}
# shellcheck source=hack/lib/bench-shop.sh
. hack/lib/bench-shop.sh
BENCH_DSN=$(bench_dsn retention_bench)
RUNS=${RUNS:-3}
VARIANTS=${VARIANTS:-pushdown goeval orders predict}
AS_OF=2025-01-01T00:00:00Z # gendata's default --end
mkdir -p "$OUT"

go build -o "$OUT/gendata" ./hack/gendata
# shellcheck source=hack/lib/shipped-build.sh
. hack/lib/shipped-build.sh
shipped_build "$OUT/worker" ./cmd/worker
for v in $VARIANTS; do go run ./hack/metricspec --file hack/bench-segments.yaml --segment "$v" > "$OUT/spec.$v.json"; done

bench_shop_load retention_bench timed
if [ "$BENCH_RELOADED" = 1 ]; then
  # A reload invalidates the stored snapshots.
  psql "$BENCH_DSN" -qc "DROP SCHEMA IF EXISTS retention_state CASCADE"
fi
psql "$BENCH_DSN" -tAc "SELECT 'rows: ' || (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders) || ' orders'"

# The features query as of gendata's --end with its 90-day window (the job's
# AsOf and window in the benchmark), on one line for \copy.
SQL=$("$OUT/gendata" --print-features-sql | tr '\n\t' '  ')

job() { # variant run
  RETENTION_DATASOURCE_DSN="$BENCH_DSN" RETENTION_STATE_STORE="$BENCH_DSN&search_path=retention_state" \
    RETENTION_REPORT_FILE="$OUT/report.$1.json" /usr/bin/time -v "$OUT/worker" metrics --spec "$OUT/spec.$1.json" --as-of "$AS_OF" \
    > "$OUT/job.$1.$2.out" 2> "$OUT/job.$1.$2.time" || { tail -5 "$OUT/job.$1.$2.time"; exit 1; }
}
# Warm the cache, and give every variant a stored snapshot so the timed runs
# are the steady state (diff against the previous run), as on a schedule.
psql "$BENCH_DSN" -qc "\\copy ($SQL) to /dev/null"
psql "$BENCH_DSN" -qc "CREATE SCHEMA IF NOT EXISTS retention_state"
for v in $VARIANTS; do job "$v" warm; done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

wall() { awk -F': ' '/Elapsed \(wall/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

all_psql=""
declare -A all_job
for run in $(seq "$RUNS"); do
  /usr/bin/time -v psql "$BENCH_DSN" -qc "\\copy ($SQL) to /dev/null" 2> "$OUT/psql.$run.time"
  p=$(wall "$OUT/psql.$run.time"); all_psql="$all_psql $p"
  echo "run $run: psql \\copy ${p}s (peak RSS $(rss "$OUT/psql.$run.time") KB)"
  for v in $VARIANTS; do
    job "$v" "$run"
    g=$(wall "$OUT/job.$v.$run.time"); all_job[$v]="${all_job[$v]:-} $g"
    echo "run $run: job $v ${g}s (peak RSS $(rss "$OUT/job.$v.$run.time") KB)"
    grep -ho '"msg":"segment run finished".*' "$OUT/job.$v.$run.time" | grep -o '"\(customers\|size\|duration\|scan\|snapshot\)":[^,}]*' | tr '\n' ' ' | sed 's/^/    /'; echo
  done
done
# shellcheck disable=SC2086 # word splitting of the lists is intended
best_psql=$(printf '%s\n' $all_psql | sort -g | head -1)
echo
echo "| variant | job / psql (best) | job / psql (median) | best job | best psql | peak RSS |"
echo "|---|---|---|---|---|---|"
for v in $VARIANTS; do
  # shellcheck disable=SC2086
  best=$(printf '%s\n' ${all_job[$v]} | sort -g | head -1)
  peak=$(for run in $(seq "$RUNS"); do rss "$OUT/job.$v.$run.time"; done | sort -g | tail -1)
  # shellcheck disable=SC2086
  awk -v v="$v" -v p="$best_psql" -v g="$best" -v mp="$(median $all_psql)" -v mg="$(median ${all_job[$v]})" -v rss="$peak" 'BEGIN {
    printf "| %s | %.2f | %.2f | %.2f s | %.2f s | %.0f MB |\n", v, g / p, mg / mp, g, p, rss / 1024 }'
done
echo "(target: every ratio <= 1.30, peak RSS <= 150 MB; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
