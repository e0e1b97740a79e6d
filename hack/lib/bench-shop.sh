# shellcheck shell=bash
# Sourced by the hack/bench-*.sh scripts that time runs over hack/gendata's
# synthetic shop in a PostgreSQL database of their own. Before sourcing, the
# script sets CUSTOMERS and ORDERS (the shop's size) and OUT (its work
# directory, holding the gendata binary); SEED is gendata's seed (default 1),
# PGBASE names the server (default postgres://postgres@127.0.0.1:5432).

SEED=${SEED:-1}
PGBASE=${PGBASE:-postgres://postgres@127.0.0.1:5432}
ADMIN_DSN="$PGBASE/postgres?sslmode=disable"

# bench_dsn DB: the DSN of the database DB on PGBASE.
bench_dsn() { echo "$PGBASE/$1?sslmode=disable"; }

# bench_shop_load DB [timed]: creates the database DB if it is missing and
# loads CUSTOMERS customers / ~ORDERS orders (SEED) into it with
# "$OUT/gendata" (under /usr/bin/time with "timed") unless its bench_meta
# table records that size already. Sets BENCH_RELOADED to 1 when it loaded,
# else 0, so the caller can drop what it derived from the old data.
bench_shop_load() {
  local db=$1 dsn want have timer=()
  dsn=$(bench_dsn "$db")
  [ "${2:-}" = timed ] && timer=(/usr/bin/time -f "load: %e s wall, %M KB peak RSS (gendata)")
  if [ "$(psql "$ADMIN_DSN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    psql "$ADMIN_DSN" -qc "CREATE DATABASE $db"
  fi
  want="$CUSTOMERS/$ORDERS/$SEED"
  have=$(psql "$dsn" -tAc "SELECT customers || '/' || orders_target || '/' || seed FROM bench_meta
  WHERE (SELECT count(*) FROM customers) = customers" 2>/dev/null || true)
  BENCH_RELOADED=0
  if [ "$have" != "$want" ]; then
    echo "loading $CUSTOMERS customers / ~$ORDERS orders (seed $SEED) into $db"
    psql "$dsn" -qc "DROP TABLE IF EXISTS bench_meta"
    "${timer[@]}" "$OUT/gendata" --customers "$CUSTOMERS" --orders "$ORDERS" --seed "$SEED" --postgres "$dsn"
    psql "$dsn" -qc "CREATE TABLE bench_meta AS SELECT $CUSTOMERS AS customers, $ORDERS AS orders_target, $SEED AS seed"
    BENCH_RELOADED=1
  else
    echo "$db already holds $want (customers/orders target/seed); not reloading"
  fi
}
