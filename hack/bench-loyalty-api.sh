#!/usr/bin/env bash
# Black-box load of the loyalty API as shipped: builds the real worker
# (built as shipped: hack/lib/shipped-build.sh), runs `worker loyalty` with its DEFAULT flags
# against a fresh PostgreSQL database, seeds MEMBERS members through the
# worker's own ingest (a file DataSource, one 100-point order each), fires
# REQUESTS redemptions on distinct members over HTTP on loopback from
# CONCURRENCY connections (bounded by TIMEOUT), and prints redemptions/s,
# p50/p99 and the PostgreSQL sessions the worker opened during the load
# (pg_stat_database.sessions delta of its database), and the CPU seconds the
# worker, its PostgreSQL backends and the client each used during the load:
# on 2 shared cores, CPU per redemption is the figure the machine's load does
# not move much.
#
#   hack/bench-loyalty-api.sh                 # defaults below
#   EXTRA_FLAGS=--db-max-idle-conns=2 hack/bench-loyalty-api.sh   # the old pool, for comparison
#   RATE=2000 MEMBERS=30000 REQUESTS=30000 hack/bench-loyalty-api.sh  # 2,000/s for 15 s, open loop
#
# Environment: PGURL (server, default postgres://postgres@127.0.0.1:5432),
# MEMBERS (4000), REQUESTS (4000), CONCURRENCY (32), RATE (0: closed loop;
# else redemptions per second, each timed from the instant it was due, so
# a send the client held back counts against the API), TIMEOUT (60s),
# PORT (18080).
set -euo pipefail
cd "$(dirname "$0")/.."

MEMBERS=${MEMBERS:-4000}
REQUESTS=${REQUESTS:-4000}
CONCURRENCY=${CONCURRENCY:-32}
RATE=${RATE:-0}
TIMEOUT=${TIMEOUT:-60s}
PORT=${PORT:-18080}
EXTRA_FLAGS=${EXTRA_FLAGS:-}
# shellcheck source=hack/lib/bench-worker.sh
. hack/lib/bench-worker.sh
bench_scratch bench_loyalty

sessions() { # sessions established to $DB so far (counted by PostgreSQL's statistics)
	psql -qAt "$PGURL/postgres?sslmode=disable" -c "SELECT pg_stat_clear_snapshot(); SELECT sessions FROM pg_stat_database WHERE datname = '$DB'" | tail -1
}

bench_build loyaltyload

echo "== database $DB and $MEMBERS members"
bench_create_db
"$work/loyaltyload" setup -root "$work/root" -members "$MEMBERS"

echo "== worker loyalty --listen=127.0.0.1:$PORT $EXTRA_FLAGS"
# shellcheck disable=SC2086 # EXTRA_FLAGS is a list of flags
RETENTION_LOCAL_ROOT="$work/root" RETENTION_NAMESPACE=bench \
	RETENTION_STATE_STORE="$PGURL/$DB?sslmode=disable" \
	"$work/worker" loyalty --listen="127.0.0.1:$PORT" $EXTRA_FLAGS >"$work/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 600); do # the first ingest pass seeds the members
	grep -q '"loyalty ingest pass"\|loyalty ingest pass' "$work/worker.log" && break
	kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log"; exit 1; }
	sleep 0.5
done
grep -m1 'loyalty ingest pass' "$work/worker.log" || { echo "no ingest pass in 300 s"; cat "$work/worker.log"; exit 1; }

cpu_s() { # CPU seconds (user + system) of the given pids; gone pids count 0
	local ticks=0 pid
	for pid in "$@"; do
		[ -r "/proc/$pid/stat" ] && ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
	done
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
backend_pids() {
	psql -qAt "$PGURL/postgres?sslmode=disable" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'" | tr '\n' ' '
}

sleep 11 # PostgreSQL flushes idle backends' statistics within 10 s
before=$(sessions)
pids_before=$(backend_pids)
# shellcheck disable=SC2086 # lists of pids
pg_cpu_before=$(cpu_s $pids_before)
worker_cpu_before=$(cpu_s "$worker_pid")
echo "== load: $REQUESTS redemptions, $CONCURRENCY connections, rate ${RATE}/s (0: closed loop), machine: $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/loyaltyload" fire -url "http://127.0.0.1:$PORT" -token-file "$work/root/var/run/secrets/retention/api-token/token" \
	-members "$MEMBERS" -requests "$REQUESTS" -concurrency "$CONCURRENCY" -rate "$RATE" -timeout "$TIMEOUT" || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Backends opened during the load are counted whole; those open before, by their growth.
# shellcheck disable=SC2086 # lists of pids
pg_cpu=$(awk -v a="$(cpu_s $(backend_pids))" -v b="$pg_cpu_before" 'BEGIN { printf "%.2f", a - b }')
worker_cpu=$(awk -v a="$(cpu_s "$worker_pid")" -v b="$worker_cpu_before" 'BEGIN { printf "%.2f", a - b }')
echo "worker_cpu_s=$worker_cpu postgres_backends_cpu_s=$pg_cpu (client_cpu_s above)"
sleep 11
after=$(sessions)
backends=$(psql -qAt "$PGURL/postgres?sslmode=disable" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB'")
echo "postgres_sessions_opened_during_load=$((after - before)) backends_now=$backends"
if grep -q '"level":"ERROR"\|level=ERROR' "$work/worker.log"; then
	echo "worker logged errors:"; grep 'ERROR' "$work/worker.log" | head -5
fi
exit "${status:-0}"
