#!/usr/bin/env bash
# Black-box load of the ingestion API as shipped: builds the real worker
# (built as shipped: hack/lib/shipped-build.sh), runs `worker ingest` with its DEFAULT flags against
# a fresh PostgreSQL database, posts EVENTS track messages as /v1/batch calls
# of BATCH from CONCURRENCY connections over loopback (hack/ingestload), and
# prints events/s and the calls' p50/p99, then checks in PostgreSQL that
# every acknowledged message is stored exactly once.
#
#   hack/bench-ingest.sh            # defaults below
#
# Environment: PGURL (server, default postgres://postgres@127.0.0.1:5432),
# EVENTS (200000), BATCH (100), CONCURRENCY (4), TIMEOUT (120s), PORT (18090).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib/bench-worker.sh
. hack/lib/bench-worker.sh
bench_scratch bench_ingest

EVENTS=${EVENTS:-200000}
BATCH=${BATCH:-100}
CONCURRENCY=${CONCURRENCY:-4}
TIMEOUT=${TIMEOUT:-120s}
PORT=${PORT:-18090}

# ticks PID...: CPU time (user+system, in clock ticks) the processes used so far.
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }

bench_build ingestload

echo "== database $DB"
bench_create_db
printf 'wk_bench_%s' "$$" >"$work/writeKey"

echo "== worker ingest --listen=127.0.0.1:$PORT --source=bench/web"
RETENTION_STATE_STORE="$PGURL/$DB?sslmode=disable" \
	"$work/worker" ingest --listen="127.0.0.1:$PORT" --source=bench/web --write-key-file="$work/writeKey" >"$work/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 100); do
	curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
	kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log"; exit 1; }
	sleep 0.2
done

# CPU the worker and PostgreSQL spend per event, so the figure can be
# extrapolated to a quiet machine (other processes' use of PostgreSQL during
# the run counts too, so this is an upper bound).
hz=$(getconf CLK_TCK)
pg_before=$(ticks $(pgrep -x postgres)); worker_before=$(ticks "$worker_pid")
echo "== load: $EVENTS events in batches of $BATCH, $CONCURRENCY connections, machine: $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/ingestload" -url "http://127.0.0.1:$PORT" -key-file "$work/writeKey" -events "$EVENTS" -batch "$BATCH" \
	-concurrency "$CONCURRENCY" -timeout "$TIMEOUT" || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
pg_cpu=$(( $(ticks $(pgrep -x postgres)) - pg_before )); worker_cpu=$(( $(ticks "$worker_pid") - worker_before ))
awk -v w="$worker_cpu" -v p="$pg_cpu" -v hz="$hz" -v n="$EVENTS" 'BEGIN {
	printf "cpu_seconds worker=%.2f postgres=%.2f; per 100k events %.2f s; events/s if 2 quiet cores did only this: %.0f\n",
		w/hz, p/hz, (w+p)/hz*100000/n, 2*n/((w+p)/hz) }'
stored=$(psql -qAt "$PGURL/$DB?sslmode=disable" -c "SELECT count(*) || ' rows, ' || count(DISTINCT message_id) || ' distinct messageIds' FROM ingest_events")
echo "stored: $stored"
if grep -q '"level":"ERROR"' "$work/worker.log"; then
	echo "worker logged errors:"; grep 'ERROR' "$work/worker.log" | head -5
fi
exit "${status:-0}"
