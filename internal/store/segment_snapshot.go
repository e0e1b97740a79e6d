package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// SegmentDiff is what a snapshot changed: members now, and how many joined
// and left relative to the previous snapshot (all members join on the first).
type SegmentDiff struct {
	Size, Entered, Exited int64
	// Rewritten counts the member feature rows an UpdateSegmentSnapshotRows
	// wrote (joiners' and changed rows), for the log; 0 otherwise.
	Rewritten int64
}

// snapshotBatch is how many member ids are buffered before they are copied
// into the staging table: memory stays at one batch however large the segment.
const snapshotBatch = 10000

// ReplaceSegmentSnapshot streams a run's members into a staging table and
// swaps them in for ref's previous snapshot, diffing in SQL:
//
//	exited  = |previous \ current|  (DELETE ... WHERE NOT EXISTS in staging)
//	entered = |current \ previous|  (INSERT ... WHERE NOT EXISTS in members)
//
// fill runs inside the transaction and calls add once per member (ids may
// repeat; ON CONFLICT DO NOTHING counts them once). If fill or any statement fails, the transaction
// rolls back and the previous snapshot and last success stay as they were.
// On success the run is recorded in segment_runs in the same transaction.
// PostgreSQL loads the staging table with COPY, SQLite with batched inserts.
// It stores no feature rows (ReplaceSegmentSnapshotRows does).
func (db *DB) ReplaceSegmentSnapshot(ctx context.Context, ref SegmentRef, at time.Time,
	fill func(add func(id string) error) error) (SegmentDiff, error) {
	return db.replaceSegmentSnapshot(ctx, ref, at, func(add func(stagedMember) error) error {
		return fill(func(id string) error { return add(stagedMember{id: id}) })
	})
}

// ReplaceSegmentSnapshotRows is ReplaceSegmentSnapshot storing each member's
// feature row (predicted features included) beside the membership, in the
// same transaction: campaign workers read members and the features their
// steps need from here (SegmentMemberRows) instead of recomputing them from
// raw rows. Rows of members that left are deleted; unchanged rows are not
// rewritten.
func (db *DB) ReplaceSegmentSnapshotRows(ctx context.Context, ref SegmentRef, at time.Time,
	fill func(add func(f *customer.Features) error) error) (SegmentDiff, error) {
	return db.replaceSegmentSnapshot(ctx, ref, at, func(add func(stagedMember) error) error {
		return fill(func(f *customer.Features) error {
			row, err := encodeMemberFeatures(f)
			if err != nil {
				return fmt.Errorf("segment snapshot %s/%s: %w", ref.Namespace, ref.Name, err)
			}
			return add(stagedMember{id: f.ID, features: row})
		})
	})
}

func (db *DB) replaceSegmentSnapshot(ctx context.Context, ref SegmentRef, at time.Time,
	fill func(add func(stagedMember) error) error) (SegmentDiff, error) {
	fill, err := withoutErasedMembers(ctx, db, fill)
	if err != nil {
		return SegmentDiff{}, fmt.Errorf("segment snapshot %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	if db.Dialect == Postgres {
		return db.replaceSnapshotPostgres(ctx, ref, at, fill)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return SegmentDiff{}, fmt.Errorf("segment snapshot %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	st := &sqliteSnapshot{tx: tx}
	d, err := replaceSnapshot(ctx, st, ref, at, fill)
	if err != nil {
		return SegmentDiff{}, err
	}
	if err := tx.Commit(); err != nil {
		return SegmentDiff{}, fmt.Errorf("segment snapshot %s/%s: commit: %w", ref.Namespace, ref.Name, err)
	}
	return d, nil
}

// stagedMember is one member on its way into the snapshot: its id and its
// encoded feature row ("" when the caller stores none).
type stagedMember struct {
	id, features string
	// digest is timelessDigest's, for UpdateSegmentSnapshotRows' rows.
	digest [16]byte
}

// replaceSnapshotPostgres runs the snapshot on one pgx connection taken from
// the pool, because COPY is a pgx feature database/sql does not expose.
func (db *DB) replaceSnapshotPostgres(ctx context.Context, ref SegmentRef, at time.Time,
	fill func(add func(stagedMember) error) error) (SegmentDiff, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return SegmentDiff{}, fmt.Errorf("segment snapshot %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	defer conn.Close()
	var d SegmentDiff
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return fmt.Errorf("segment snapshot %s/%s: %w", ref.Namespace, ref.Name, err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit
		d, err = replaceSnapshot(ctx, &postgresSnapshot{tx: tx}, ref, at, fill)
		if err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("segment snapshot %s/%s: commit: %w", ref.Namespace, ref.Name, err)
		}
		return nil
	})
	return d, err
}

// execer runs a statement and returns the rows it affected.
type execer func(ctx context.Context, query string, args ...any) (int64, error)

// snapshotTx is the part of a transaction the snapshot needs in either dialect.
type snapshotTx interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	count(ctx context.Context, query string, args ...any) (int64, error)
	createStaging(ctx context.Context) error
	// load takes ownership of ms.
	load(ctx context.Context, ms []stagedMember) error
	// finish completes the loads; it runs even when fill failed.
	finish(ctx context.Context) error
	staged(ctx context.Context) error
	dropStaging(ctx context.Context) error
}

func replaceSnapshot(ctx context.Context, st snapshotTx, ref SegmentRef, at time.Time,
	fill func(add func(stagedMember) error) error) (SegmentDiff, error) {
	fail := func(step string, err error) (SegmentDiff, error) {
		return SegmentDiff{}, fmt.Errorf("segment snapshot %s/%s: %s: %w", ref.Namespace, ref.Name, step, err)
	}
	if guard, ok := ctx.Value(snapshotGuardKey{}).(snapshotGuard); ok { // PublishShardSnapshot
		if err := guard(ctx, st.exec); err != nil {
			return SegmentDiff{}, err
		}
	}
	if err := st.createStaging(ctx); err != nil {
		return fail("create staging table", err)
	}
	buf := make([]stagedMember, 0, snapshotBatch)
	add := func(m stagedMember) error {
		buf = append(buf, m)
		if len(buf) < snapshotBatch {
			return nil
		}
		err := st.load(ctx, buf)
		buf = make([]stagedMember, 0, snapshotBatch)
		return err
	}
	if err := fill(add); err != nil {
		st.finish(ctx) //nolint:errcheck // the fill's error is the one to report
		return SegmentDiff{}, err
	}
	if err := st.load(ctx, buf); err != nil {
		st.finish(ctx) //nolint:errcheck
		return fail("load staging table", err)
	}
	if err := st.finish(ctx); err != nil {
		return fail("load staging table", err)
	}
	if err := st.staged(ctx); err != nil {
		return fail("analyze staging table", err)
	}
	var d SegmentDiff
	var err error
	d.Exited, err = st.exec(ctx, `DELETE FROM segment_members WHERE segment = $1 AND NOT EXISTS
		(SELECT 1 FROM segment_staging s WHERE s.customer_id = segment_members.customer_id)`, ref.Key())
	if err != nil {
		return fail("remove exited members", err)
	}
	d.Entered, err = st.exec(ctx, `INSERT INTO segment_members (segment, customer_id)
		SELECT $1, s.customer_id FROM segment_staging s WHERE NOT EXISTS
		(SELECT 1 FROM segment_members m WHERE m.segment = $1 AND m.customer_id = s.customer_id)
		ON CONFLICT (segment, customer_id) DO NOTHING`, ref.Key())
	if err != nil {
		return fail("add entered members", err)
	}
	d.Size, err = st.count(ctx, `SELECT count(*) FROM segment_members WHERE segment = $1`, ref.Key())
	if err != nil {
		return fail("count members", err)
	}
	if err := replaceMemberFeatures(ctx, st.exec, ref); err != nil {
		return fail("store member feature rows", err)
	}
	if err := recordSegmentSuccess(ctx, st.exec, ref, at, d, nil); err != nil {
		return SegmentDiff{}, err
	}
	if err := st.dropStaging(ctx); err != nil {
		return fail("drop staging table", err)
	}
	return d, nil
}

// postgresSnapshot stages ids in a temporary table dropped at commit. One
// COPY runs for the whole fill in its own goroutine, fed batch by batch, so
// PostgreSQL ingests ids while the caller is still producing them.
type postgresSnapshot struct {
	tx      pgx.Tx
	batches chan []stagedMember
	stopped chan struct{} // closed when the COPY returned
	copyErr error         // valid after stopped is closed
}

func (p *postgresSnapshot) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := p.tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (p *postgresSnapshot) count(ctx context.Context, query string, args ...any) (n int64, err error) {
	err = p.tx.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

func (p *postgresSnapshot) createStaging(ctx context.Context) error {
	if _, err := p.tx.Exec(ctx, `CREATE TEMP TABLE segment_staging (customer_id text NOT NULL, bucket int NOT NULL,
		features text NOT NULL) ON COMMIT DROP`); err != nil {
		return err
	}
	batches := make(chan []stagedMember, 4)
	p.batches, p.stopped = batches, make(chan struct{})
	var batch []stagedMember
	i := 0
	row := make([]any, 3) // reused: pgx encodes each row before asking for the next
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for i >= len(batch) {
			var more bool
			if batch, more = <-batches; !more {
				return nil, nil // batches closed: every row was handed over
			}
			i = 0
		}
		row[0], row[1], row[2] = batch[i].id, int32(journey.Bucket(batch[i].id)), batch[i].features
		i++
		return row, nil
	})
	go func() {
		defer close(p.stopped)
		_, p.copyErr = p.tx.CopyFrom(ctx, pgx.Identifier{"segment_staging"}, []string{"customer_id", "bucket", "features"}, src)
	}()
	return nil
}

// load hands ms (now owned by the COPY) to the running COPY.
func (p *postgresSnapshot) load(_ context.Context, ms []stagedMember) error {
	if len(ms) == 0 {
		return nil
	}
	select {
	case p.batches <- ms:
		return nil
	case <-p.stopped:
		if p.copyErr != nil {
			return p.copyErr
		}
		return fmt.Errorf("staging COPY ended early")
	}
}

// finish ends the COPY and waits for it; the connection is free afterwards.
func (p *postgresSnapshot) finish(context.Context) error {
	if p.batches == nil {
		return nil
	}
	close(p.batches)
	p.batches = nil
	<-p.stopped
	return p.copyErr
}

// staged has nothing to do: without statistics the planner sizes the
// temporary table from its pages and already picks hash anti-joins (an
// ANALYZE cost more than it saved, measured on 400k ids).
func (p *postgresSnapshot) staged(context.Context) error { return nil }

// dropStaging has nothing to do: the table is dropped at commit.
func (p *postgresSnapshot) dropStaging(context.Context) error { return nil }

// sqliteSnapshot stages ids in a connection-local temporary table.
type sqliteSnapshot struct {
	tx   *Tx
	bulk *sql.Stmt
}

// sqliteInsertRows is how many members one INSERT carries (3 parameters
// each, well under SQLite's 32766 bound parameters).
const sqliteInsertRows = 500

func (s *sqliteSnapshot) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *sqliteSnapshot) count(ctx context.Context, query string, args ...any) (n int64, err error) {
	err = s.tx.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}

func (s *sqliteSnapshot) createStaging(ctx context.Context) error {
	// The staging table's shape changed (bucket, features): a connection that
	// still holds the old one from an earlier run drops it first.
	if _, err := s.tx.Exec(ctx, `DROP TABLE IF EXISTS temp.segment_staging`); err != nil {
		return err
	}
	_, err := s.tx.Exec(ctx, `CREATE TEMP TABLE segment_staging (customer_id TEXT NOT NULL, bucket INTEGER NOT NULL,
		features TEXT NOT NULL)`)
	return err
}

func (s *sqliteSnapshot) load(ctx context.Context, ms []stagedMember) error {
	const width = 3
	args := func(part []stagedMember) []any {
		out := make([]any, 0, width*len(part))
		for _, m := range part {
			out = append(out, m.id, journey.Bucket(m.id), m.features)
		}
		return out
	}
	for len(ms) >= sqliteInsertRows {
		if s.bulk == nil {
			st, err := s.tx.PrepareContext(ctx, s.tx.db.Rebind(`INSERT INTO segment_staging (customer_id, bucket, features) VALUES `+
				valuesList(sqliteInsertRows, width)))
			if err != nil {
				return err
			}
			s.bulk = st
		}
		if _, err := s.bulk.ExecContext(ctx, args(ms[:sqliteInsertRows])...); err != nil {
			return err
		}
		ms = ms[sqliteInsertRows:]
	}
	if len(ms) == 0 {
		return nil
	}
	_, err := s.tx.Exec(ctx, `INSERT INTO segment_staging (customer_id, bucket, features) VALUES `+valuesList(len(ms), width), args(ms)...)
	return err
}

func (s *sqliteSnapshot) finish(context.Context) error { return nil }

// staged indexes the staging table once it is full (cheaper than per row):
// without it SQLite's anti-join scans the table once per member.
func (s *sqliteSnapshot) staged(ctx context.Context) error {
	_, err := s.tx.Exec(ctx, `CREATE INDEX temp.segment_staging_id ON segment_staging (customer_id)`)
	return err
}

func (s *sqliteSnapshot) dropStaging(ctx context.Context) error {
	if s.bulk != nil {
		s.bulk.Close()
		s.bulk = nil
	}
	_, err := s.tx.Exec(ctx, `DROP TABLE temp.segment_staging`)
	return err
}
