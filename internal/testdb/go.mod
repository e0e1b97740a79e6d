// Module testdb is test support only: it lives in a module of its own so that
// no product binary links it and `deadcode ./...`, run over the product's
// module, does not count it as product code. The product's tests require it
// through a replace directive in ../../go.mod.
module github.com/retention-dev/retention-operator/internal/testdb

go 1.26.0

require github.com/jackc/pgx/v5 v5.12.0

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
