package store

import "context"

// ErasureComponent is the migration component of the erasure log.
const ErasureComponent = "erasure"

// erasureMigrations hold what erasing a customer leaves behind (version i+1
// = step i, append-only). erasure_key is the store's one secret (row id 1):
// the HMAC key of the pseudonyms, so an erased id can be recognised again
// (forget twice, refuse a re-import) without the log holding it in clear.
// erasure_log has one row per `forget` run: the pseudonym, the run number
// of that pseudonym, when, and the JSON of rows touched per table. Times are
// BIGINT Unix milliseconds.
var erasureMigrations = []string{`
CREATE TABLE erasure_key (
	id     INTEGER PRIMARY KEY,
	secret TEXT NOT NULL
);
CREATE TABLE erasure_log (
	pseudonym TEXT NOT NULL,
	run       INTEGER NOT NULL,
	erased_at BIGINT NOT NULL,
	counts    TEXT NOT NULL,
	PRIMARY KEY (pseudonym, run)
)`}

// MigrateErasure creates or upgrades the erasure tables.
func (db *DB) MigrateErasure(ctx context.Context) error {
	return db.Migrate(ctx, ErasureComponent, erasureMigrations)
}

// migrateAll brings every component's tables to the latest version, so an
// erasure finds each table it must clean even in a store where some worker
// never ran (its tables are then created empty).
func (db *DB) migrateAll(ctx context.Context) error {
	return db.migrateInOrder(ctx, (*DB).MigrateJourney, (*DB).MigrateSegments, (*DB).MigrateSegmentShards, (*DB).migratePoints,
		(*DB).MigrateSegmentAggregates, (*DB).MigrateSubscriptions, (*DB).MigrateIngest, (*DB).MigrateErasure)
}

// migrateInOrder runs each component's migrate in order and stops at the
// first error.
func (db *DB) migrateInOrder(ctx context.Context, migrate ...func(*DB, context.Context) error) error {
	for _, m := range migrate {
		if err := m(db, ctx); err != nil {
			return err
		}
	}
	return nil
}
