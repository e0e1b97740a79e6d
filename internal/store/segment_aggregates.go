package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// segmentAggregateMigrations: segment_aggregates holds one opaque row per
// customer of a Segment with spec.incremental (the metric job encodes it:
// internal/worker/metrics/incremental_codec.go); segment_aggregate_runs the
// watermark (as_of of the run the rows are exact for), the hash of the spec
// parts the rows depend on and the last full recomputation; segment_models
// the fitted predicted-CLV parameters and when they were fitted. Times are
// Unix milliseconds. BYTEA is a NUMERIC-affinity name to SQLite, which keeps
// blobs as blobs.
var segmentAggregateMigrations = []string{`
CREATE TABLE segment_aggregates (
	segment     TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	agg         BYTEA NOT NULL,
	PRIMARY KEY (segment, customer_id)
);
CREATE TABLE segment_aggregate_runs (
	segment   TEXT PRIMARY KEY,
	spec_hash TEXT NOT NULL,
	as_of     BIGINT NOT NULL,
	full_at   BIGINT NOT NULL
);
CREATE TABLE segment_models (
	segment   TEXT PRIMARY KEY,
	spec_hash TEXT NOT NULL,
	fitted_at BIGINT NOT NULL,
	model     TEXT NOT NULL
)`}

// SegmentAggregatesComponent is the migration component of incremental
// metric runs (its own, so its versions never interleave with the segment
// component's).
const SegmentAggregatesComponent = "segment-aggregates"

// MigrateSegmentAggregates creates or upgrades the incremental runs' tables.
func (db *DB) MigrateSegmentAggregates(ctx context.Context) error {
	return db.Migrate(ctx, SegmentAggregatesComponent, segmentAggregateMigrations)
}

// AggregateState is the watermark of a Segment's stored aggregates.
type AggregateState struct {
	// SpecHash identifies what the rows mean (window, metrics, source).
	SpecHash string
	// AsOf is the run the rows are exact for; FullAt the last full
	// recomputation.
	AsOf, FullAt time.Time
}

// SegmentAggregateState returns ref's watermark; ok is false before the
// first incremental-mode run.
func (db *DB) SegmentAggregateState(ctx context.Context, ref SegmentRef) (s AggregateState, ok bool, err error) {
	var asOf, fullAt int64
	err = db.QueryRow(ctx, `SELECT spec_hash, as_of, full_at FROM segment_aggregate_runs WHERE segment = $1`, ref.Key()).
		Scan(&s.SpecHash, &asOf, &fullAt)
	if err == sql.ErrNoRows {
		return AggregateState{}, false, nil
	}
	if err != nil {
		return AggregateState{}, false, fmt.Errorf("segment %s aggregates: %w", ref.Key(), err)
	}
	s.AsOf, s.FullAt = time.UnixMilli(asOf).UTC(), time.UnixMilli(fullAt).UTC()
	return s, true, nil
}

// ScanSegmentAggregates calls fn with every stored row of ref (in no
// particular order); row is valid during the call only.
func (db *DB) ScanSegmentAggregates(ctx context.Context, ref SegmentRef, fn func(id string, row []byte) error) error {
	rows, err := db.Query(ctx, `SELECT customer_id, agg FROM segment_aggregates WHERE segment = $1`, ref.Key())
	if err != nil {
		return fmt.Errorf("segment %s aggregates: %w", ref.Key(), err)
	}
	defer rows.Close()
	var id string
	var row sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&id, &row); err != nil {
			return fmt.Errorf("segment %s aggregates: %w", ref.Key(), err)
		}
		if err := fn(id, row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("segment %s aggregates: %w", ref.Key(), err)
	}
	return nil
}

// AggregateRow is one customer's encoded aggregates.
type AggregateRow struct {
	ID  string
	Agg []byte
}

// AggregateWrite is one run's change to the stored aggregates: all rows
// replaced (a full recomputation) or the rows of Remove deleted and Rows
// written (Rows' ids must be among Remove), and the watermark set to State.
type AggregateWrite struct {
	State      AggregateState
	ReplaceAll bool
	Remove     []string
	Rows       []AggregateRow
}

// aggregateBatch bounds the ids of one DELETE and the rows of one SQLite
// INSERT (3 parameters each).
const aggregateBatch = 500

// WriteSegmentAggregates applies w in one transaction: a failed run leaves
// the previous rows and watermark as they were.
func (db *DB) WriteSegmentAggregates(ctx context.Context, ref SegmentRef, w AggregateWrite) error {
	fail := func(err error) error { return fmt.Errorf("segment %s aggregates: write: %w", ref.Key(), err) }
	if db.Dialect == Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fail(err)
		}
		defer conn.Close()
		return conn.Raw(func(driverConn any) error {
			pc := driverConn.(*stdlib.Conn).Conn()
			tx, err := pc.Begin(ctx)
			if err != nil {
				return fail(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
			if err := writeAggregatesPostgres(ctx, tx, ref, w); err != nil {
				return fail(err)
			}
			if err := tx.Commit(ctx); err != nil {
				return fail(err)
			}
			return nil
		})
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := writeAggregatesSQLite(ctx, tx, ref, w); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

func writeAggregatesPostgres(ctx context.Context, tx pgx.Tx, ref SegmentRef, w AggregateWrite) error {
	key := ref.Key()
	if w.ReplaceAll {
		if _, err := tx.Exec(ctx, `DELETE FROM segment_aggregates WHERE segment = $1`, key); err != nil {
			return err
		}
	} else if len(w.Remove) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM segment_aggregates WHERE segment = $1 AND customer_id = ANY($2)`, key, w.Remove); err != nil {
			return err
		}
	}
	i := 0
	row := make([]any, 3)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= len(w.Rows) {
			return nil, nil
		}
		row[0], row[1], row[2] = key, w.Rows[i].ID, w.Rows[i].Agg
		i++
		return row, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"segment_aggregates"}, []string{"segment", "customer_id", "agg"}, src); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, upsertAggregateRun, key, w.State.SpecHash, w.State.AsOf.UnixMilli(), w.State.FullAt.UnixMilli())
	return err
}

const upsertAggregateRun = `INSERT INTO segment_aggregate_runs (segment, spec_hash, as_of, full_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (segment) DO UPDATE SET spec_hash = excluded.spec_hash, as_of = excluded.as_of, full_at = excluded.full_at`

func writeAggregatesSQLite(ctx context.Context, tx *Tx, ref SegmentRef, w AggregateWrite) error {
	key := ref.Key()
	if w.ReplaceAll {
		if _, err := tx.Exec(ctx, `DELETE FROM segment_aggregates WHERE segment = $1`, key); err != nil {
			return err
		}
	} else {
		for ids := range chunks(w.Remove, aggregateBatch) {
			args := []any{key}
			marks := make([]string, len(ids))
			for k, id := range ids {
				args = append(args, id)
				marks[k] = fmt.Sprintf("$%d", k+2)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM segment_aggregates WHERE segment = $1 AND customer_id IN (`+
				strings.Join(marks, ",")+`)`, args...); err != nil {
				return err
			}
		}
	}
	for rows := range chunks(w.Rows, aggregateBatch) {
		args := make([]any, 0, 3*len(rows))
		for _, r := range rows {
			args = append(args, key, r.ID, r.Agg)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO segment_aggregates (segment, customer_id, agg) VALUES `+
			valuesList(len(rows), 3), args...); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, upsertAggregateRun, key, w.State.SpecHash, w.State.AsOf.UnixMilli(), w.State.FullAt.UnixMilli())
	return err
}

// chunks yields s in consecutive pieces of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// SegmentModel is a Segment's fitted predicted-CLV model (JSON the metric
// job reads back) and the spec hash and time it was fitted with.
type SegmentModel struct {
	SpecHash string
	FittedAt time.Time
	Model    string
}

// LoadSegmentModel returns ref's stored model; ok is false when none is.
func (db *DB) LoadSegmentModel(ctx context.Context, ref SegmentRef) (m SegmentModel, ok bool, err error) {
	var at int64
	err = db.QueryRow(ctx, `SELECT spec_hash, fitted_at, model FROM segment_models WHERE segment = $1`, ref.Key()).
		Scan(&m.SpecHash, &at, &m.Model)
	if err == sql.ErrNoRows {
		return SegmentModel{}, false, nil
	}
	if err != nil {
		return SegmentModel{}, false, fmt.Errorf("segment %s model: %w", ref.Key(), err)
	}
	m.FittedAt = time.UnixMilli(at).UTC()
	return m, true, nil
}

// SaveSegmentModel stores ref's model, replacing the previous one.
func (db *DB) SaveSegmentModel(ctx context.Context, ref SegmentRef, m SegmentModel) error {
	_, err := db.Exec(ctx, `INSERT INTO segment_models (segment, spec_hash, fitted_at, model) VALUES ($1, $2, $3, $4)
		ON CONFLICT (segment) DO UPDATE SET spec_hash = excluded.spec_hash, fitted_at = excluded.fitted_at, model = excluded.model`,
		ref.Key(), m.SpecHash, m.FittedAt.UnixMilli(), m.Model)
	if err != nil {
		return fmt.Errorf("segment %s model: %w", ref.Key(), err)
	}
	return nil
}
