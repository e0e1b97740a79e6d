#!/usr/bin/env bash
# Event-to-send latency through the binaries as shipped: builds the real
# worker (built as shipped: hack/lib/shipped-build.sh) and hack/eventload, makes a fresh PostgreSQL
# database, and lets eventload run `worker metrics` once (the segment's
# membership), then `worker ingest` and `worker campaign` with their DEFAULT
# flags, an event-triggered Playbook (trigger: {event: {type: cart_updated}})
# and a signed webhook Channel pointing at a receiver on loopback, over a
# PostgreSQL DataSource (a second fresh database holding the customers). It posts
# RATE /v1/track calls per second for DURATION, one per distinct user (each
# a segment member with webhook consent), and prints, per event, the time
# from the 2xx of /v1/track to the receiver getting the message: count, p50,
# p95, p99, max, lost and duplicated.
#
#   hack/bench-event-to-send.sh        # defaults below
#
# Environment: PGURL (server, default postgres://postgres@127.0.0.1:5432),
# RATE (1000), DURATION (40s), DRAIN (60s), CONCURRENCY (64), KEEP_LOGS (a
# directory to copy the workers' logs into).
set -euo pipefail
cd "$(dirname "$0")/.."

PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
RATE=${RATE:-1000}
DURATION=${DURATION:-40s}
DRAIN=${DRAIN:-60s}
CONCURRENCY=${CONCURRENCY:-64}
DB=bench_event_to_send_$$
work=$(mktemp -d)

cleanup() {
	psql -q "$PGURL/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	psql -q "$PGURL/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS ${DB}_data WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== build"
# shellcheck source=hack/lib/shipped-build.sh
. hack/lib/shipped-build.sh
shipped_build "$work/worker" ./cmd/worker
GOTOOLCHAIN=local go build -o "$work/eventload" ./hack/eventload

echo "== database $DB; machine: $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
psql -q "$PGURL/postgres?sslmode=disable" -c "CREATE DATABASE $DB" >/dev/null
psql -q "$PGURL/postgres?sslmode=disable" -c "CREATE DATABASE ${DB}_data" >/dev/null

status=0
"$work/eventload" -worker "$work/worker" -store "$PGURL/$DB?sslmode=disable" -data "$PGURL/${DB}_data?sslmode=disable" -dir "$work" \
	-rate "$RATE" -duration "$DURATION" -drain "$DRAIN" -concurrency "$CONCURRENCY" || status=$?
for log in campaign ingest; do
	if grep -q '"level":"ERROR"' "$work/$log.log"; then
		echo "worker $log logged errors:"; grep '"level":"ERROR"' "$work/$log.log" | head -5
	fi
done
if [ -n "${KEEP_LOGS:-}" ]; then
	mkdir -p "$KEEP_LOGS" && cp "$work/campaign.log" "$work/ingest.log" "$KEEP_LOGS/" && echo "logs kept in $KEEP_LOGS"
elif [ "$status" -ne 0 ]; then
	echo "== campaign worker log (last 20 lines)"; tail -20 "$work/campaign.log"
fi
exit "$status"
