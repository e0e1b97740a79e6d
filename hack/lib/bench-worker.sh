# shellcheck shell=bash
# Sourced by the black-box load benchmarks of the shipped worker
# (bench-ingest.sh, bench-loyalty-api.sh). PGURL names the PostgreSQL server
# (default postgres://postgres@127.0.0.1:5432). bench_scratch gives the
# script a fresh database and a work directory, both removed on exit
# together with the worker it started (worker_pid).

PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}

# bench_scratch NAME: sets DB to NAME_<pid>, work to a new temporary
# directory and worker_pid to empty, and removes them all on exit.
bench_scratch() {
	DB=$1_$$
	work=$(mktemp -d)
	worker_pid=
	trap bench_cleanup EXIT
}

bench_cleanup() {
	if [ -n "$worker_pid" ]; then kill "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true; fi
	psql -q "$PGURL/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$work"
}

# bench_build CLIENT: builds the worker as shipped and the load client
# hack/CLIENT into $work.
bench_build() {
	echo "== build"
	# shellcheck source=hack/lib/shipped-build.sh
	. hack/lib/shipped-build.sh
	shipped_build "$work/worker" ./cmd/worker
	GOTOOLCHAIN=local go build -o "$work/$1" "./hack/$1"
}

# bench_create_db: creates the database DB; its state store URL is
# $PGURL/$DB?sslmode=disable.
bench_create_db() {
	psql -q "$PGURL/postgres?sslmode=disable" -c "CREATE DATABASE $DB" >/dev/null
}
