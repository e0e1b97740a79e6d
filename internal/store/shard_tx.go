package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"
)

// JourneyTxLeased is JourneyTx for a replica that works by shard lease: the
// same transaction first re-checks that the replica still holds lease, and
// returns ErrLeaseLost (writing nothing) when it does not. A replica that
// stalled past its lease therefore cannot record states or ledger rows for
// customers another replica has taken over. A nil lease skips the check
// (JourneyTx).
func (db *DB) JourneyTxLeased(ctx context.Context, lease *ShardLease, namespace, playbook string, ids []string,
	capSince time.Time, fn func(sentInWindow map[string]int) (*JourneyBatch, error)) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("journey batch: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// The erasure lock comes first, then the lease row lock, then the
	// customer locks, in every transaction that takes them, so the order is
	// the same everywhere (Forget takes the first and the last).
	if err := lockErasures(ctx, tx, false); err != nil {
		return fmt.Errorf("journey batch: %w", err)
	}
	if lease != nil {
		if err := checkLease(ctx, tx, lease); err != nil {
			return err
		}
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	if db.Dialect == Postgres && len(sorted) > 0 {
		if _, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock(hashtext($1 || '/' || x)))
			FROM (SELECT unnest($2::text[]) AS x ORDER BY 1) AS ids`, namespace, sorted); err != nil {
			return fmt.Errorf("journey batch: lock customers: %w", err)
		}
	}
	counts, err := countSends(ctx, tx, namespace, sorted, capSince)
	if err != nil {
		return err
	}
	// Customers erased since the worker read them are not written back.
	erased, err := erasedAmong(ctx, tx, sorted)
	if err != nil {
		return err
	}
	if erased == nil {
		erased = map[string]bool{} // addErasedObservations adds to it
	}
	batch, err := fn(counts)
	if err != nil {
		return err
	}
	if batch != nil {
		// A round's trigger observations may name customers beyond ids:
		// those erased are not written back either.
		if err := addErasedObservations(ctx, tx, batch, sorted, erased); err != nil {
			return err
		}
		batch.withoutErased(erased)
		if err := writeBatch(ctx, tx, namespace, playbook, batch); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SetJourneyCursorsLeased stores named cursors if lease is still held
// (ErrLeaseLost otherwise), so a replica that lost its shard cannot move
// the new holder's cursors. A nil lease writes unconditionally.
func (db *DB) SetJourneyCursorsLeased(ctx context.Context, lease *ShardLease, playbook string, cursors map[string]string) error {
	if len(cursors) == 0 {
		return nil
	}
	tx, err := db.beginLeased(ctx, lease, "journey cursors")
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	names := slices.Sorted(maps.Keys(cursors))
	for _, name := range names {
		if _, err := tx.Exec(ctx, `INSERT INTO journey_cursors (playbook, name, value) VALUES ($1, $2, $3)
			ON CONFLICT (playbook, name) DO UPDATE SET value = excluded.value`, playbook, name, cursors[name]); err != nil {
			return fmt.Errorf("journey cursor %s: %w", name, err)
		}
	}
	return tx.Commit()
}
