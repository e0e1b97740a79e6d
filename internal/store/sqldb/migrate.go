package sqldb

import (
	"context"
	"fmt"
)

// Migrate brings one component's schema (e.g. "journey", "points") to the
// latest version. migrations[i] is version i+1; each runs once, in its own
// transaction, and is recorded in schema_migrations. Statements in one step are
// separated by ";\n" so a step may hold several. Versions are append-only:
// never edit a released step, add a new one.
func (db *DB) Migrate(ctx context.Context, component string, migrations []string) error {
	if err := db.ensureMigrationsTable(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	for i, step := range migrations {
		version := i + 1
		if err := db.migrateStep(ctx, component, version, step); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

func (db *DB) migrateStep(ctx context.Context, component string, version int, step string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if db.Dialect == Postgres {
		// Two workers starting together must not both run a step.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, component); err != nil {
			return err
		}
	}
	var done int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE component = $1 AND version = $2`,
		component, version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	for _, stmt := range splitStatements(step) {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%w (statement: %.80s)", err, stmt)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (component, version) VALUES ($1, $2)`,
		component, version); err != nil {
		return err
	}
	return tx.Commit()
}

// ensureMigrationsTable creates schema_migrations. On PostgreSQL two workers
// starting at once would both try CREATE TABLE IF NOT EXISTS and one fails on
// the catalog's unique index, so the create runs under a transaction-scoped
// advisory lock.
func (db *DB) ensureMigrationsTable(ctx context.Context) error {
	const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version   INTEGER NOT NULL,
		PRIMARY KEY (component, version))`
	if db.Dialect != Postgres {
		_, err := db.Exec(ctx, ddl)
		return err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('schema_migrations'))`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return err
	}
	return tx.Commit()
}
