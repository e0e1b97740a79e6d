package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// ShardRun names one run of a sharded Segment metric job: every pod of one
// Indexed Job carries the same ID (the Job's uid) and its own shard index.
type ShardRun struct {
	Segment SegmentRef
	ID      string
	// Shards is the number of pods; SpecHash identifies the spec they run.
	Shards   int
	SpecHash string
}

func (r ShardRun) key() []any { return []any{r.Segment.Namespace, r.Segment.Name, r.ID} }

// ErrShardRunPublished: another pod already published this run's snapshot.
var ErrShardRunPublished = errors.New("sharded run already published")

// JoinShardRun registers run on its first pod (with now as the run's AsOf)
// and returns the AsOf every pod of the run uses, so that they compute the
// features of the same instant. A pod whose shard count or spec differs from
// the run's (the Segment changed while its Job ran) is refused.
func (db *DB) JoinShardRun(ctx context.Context, run ShardRun, now time.Time) (asOf time.Time, published bool, err error) {
	if _, err := db.Exec(ctx, `INSERT INTO segment_shard_runs (namespace, segment, run_id, shards, spec_hash, as_of)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (namespace, segment, run_id) DO NOTHING`,
		append(run.key(), run.Shards, run.SpecHash, now.UnixMilli())...); err != nil {
		return time.Time{}, false, fmt.Errorf("sharded run %s: register: %w", run.ID, err)
	}
	var shards, pub int
	var hash string
	var ms int64
	if err := db.QueryRow(ctx, `SELECT shards, spec_hash, as_of, published FROM segment_shard_runs
		WHERE namespace = $1 AND segment = $2 AND run_id = $3`, run.key()...).Scan(&shards, &hash, &ms, &pub); err != nil {
		return time.Time{}, false, fmt.Errorf("sharded run %s: %w", run.ID, err)
	}
	if shards != run.Shards || hash != run.SpecHash {
		return time.Time{}, false, fmt.Errorf("sharded run %s: started with %d shards and spec %s, this pod has %d shards and spec %s: "+
			"the Segment changed while the run's Job ran; the next run uses the new spec", run.ID, shards, hash, run.Shards, run.SpecHash)
	}
	return time.UnixMilli(ms).UTC(), pub == 1, nil
}

// ShardWriter receives one shard's members and CLV summaries.
type ShardWriter struct {
	member  func(f *customer.Features) error
	summary func(s clv.Summary) error
}

// Member stores a member's feature row.
func (w *ShardWriter) Member(f *customer.Features) error { return w.member(f) }

// Summary stores a buyer's CLV summary.
func (w *ShardWriter) Summary(s clv.Summary) error { return w.summary(s) }

// shardBatch is how many rows one INSERT carries (6 parameters each).
const shardBatch = 500

// FinishShard stores shard's members and summaries (those fill writes) and
// its partial figures (partial, called after fill), replacing whatever an earlier attempt of the same
// shard stored, and marks the shard finished, all in one transaction. last
// is true when every shard of the run has finished with this commit: the
// caller then merges and publishes. The run's row is locked before the
// shards are counted, so of shards finishing together exactly one sees them
// all; a retried shard finishing again sees them all again, and
// PublishShardSnapshot decides between the two.
func (db *DB) FinishShard(ctx context.Context, run ShardRun, shard int,
	fill func(w *ShardWriter) error, partial func() (string, error)) (last bool, err error) {
	fail := func(step string, err error) (bool, error) {
		return false, fmt.Errorf("sharded run %s shard %d: %s: %w", run.ID, shard, step, err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	k := append(run.key(), shard)
	for _, table := range []string{"segment_shard_members", "segment_shard_summaries", "segment_shard_parts"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE namespace = $1 AND segment = $2 AND run_id = $3 AND shard = $4`, k...); err != nil {
			return fail("clear an earlier attempt", err)
		}
	}
	members := newShardInserter(tx, `segment_shard_members (namespace, segment, run_id, shard, customer_id, features)`, 6)
	summaries := newShardInserter(tx, `segment_shard_summaries (namespace, segment, run_id, shard, customer_id, frequency, recency, age, monetary)`, 9)
	w := &ShardWriter{
		member: func(f *customer.Features) error {
			row, err := encodeMemberFeatures(f)
			if err != nil {
				return err
			}
			return members.add(ctx, append(k[:4:4], f.ID, row)...)
		},
		summary: func(s clv.Summary) error {
			return summaries.add(ctx, append(k[:4:4], s.CustomerID, s.Frequency, s.Recency, s.T, s.Monetary)...)
		},
	}
	if err := fill(w); err != nil {
		return false, err
	}
	if err := members.flush(ctx); err != nil {
		return fail("store members", err)
	}
	if err := summaries.flush(ctx); err != nil {
		return fail("store CLV summaries", err)
	}
	figures, err := partial()
	if err != nil {
		return false, err
	}
	// The lock: shards finishing together queue here, and each counts the
	// parts the ones before it committed.
	res, err := tx.Exec(ctx, `UPDATE segment_shard_runs SET shards = shards WHERE namespace = $1 AND segment = $2 AND run_id = $3`, run.key()...)
	if err != nil {
		return fail("lock the run", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fail("lock the run", fmt.Errorf("run not registered (JoinShardRun) or cleaned up"))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO segment_shard_parts (namespace, segment, run_id, shard, partial, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, append(k, figures, time.Now().UnixMilli())...); err != nil {
		return fail("record the part", err)
	}
	var done int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM segment_shard_parts WHERE namespace = $1 AND segment = $2 AND run_id = $3`,
		run.key()...).Scan(&done); err != nil {
		return fail("count finished shards", err)
	}
	if err := tx.Commit(); err != nil {
		return fail("commit", err)
	}
	return done == run.Shards, nil
}

// shardInserter batches rows into multi-row INSERTs.
type shardInserter struct {
	tx    *Tx
	into  string
	width int
	args  []any
}

func newShardInserter(tx *Tx, into string, width int) *shardInserter {
	return &shardInserter{tx: tx, into: into, width: width}
}

func (s *shardInserter) add(ctx context.Context, row ...any) error {
	s.args = append(s.args, row...)
	if len(s.args) < shardBatch*s.width {
		return nil
	}
	return s.flush(ctx)
}

func (s *shardInserter) flush(ctx context.Context) error {
	if len(s.args) == 0 {
		return nil
	}
	_, err := s.tx.Exec(ctx, `INSERT INTO `+s.into+` VALUES `+valuesList(len(s.args)/s.width, s.width), s.args...)
	s.args = s.args[:0]
	return err
}

// ShardPartials returns every finished shard's partial, by shard.
func (db *DB) ShardPartials(ctx context.Context, run ShardRun) (map[int]string, error) {
	rows, err := db.Query(ctx, `SELECT shard, partial FROM segment_shard_parts
		WHERE namespace = $1 AND segment = $2 AND run_id = $3`, run.key()...)
	if err != nil {
		return nil, fmt.Errorf("sharded run %s: parts: %w", run.ID, err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var shard int
		var partial string
		if err := rows.Scan(&shard, &partial); err != nil {
			return nil, fmt.Errorf("sharded run %s: parts: %w", run.ID, err)
		}
		out[shard] = partial
	}
	return out, rows.Err()
}

// ShardSummaries returns every shard's CLV summaries, in no particular order.
func (db *DB) ShardSummaries(ctx context.Context, run ShardRun) ([]clv.Summary, error) {
	rows, err := db.Query(ctx, `SELECT customer_id, frequency, recency, age, monetary FROM segment_shard_summaries
		WHERE namespace = $1 AND segment = $2 AND run_id = $3`, run.key()...)
	if err != nil {
		return nil, fmt.Errorf("sharded run %s: CLV summaries: %w", run.ID, err)
	}
	defer rows.Close()
	var out []clv.Summary
	for rows.Next() {
		var s clv.Summary
		if err := rows.Scan(&s.CustomerID, &s.Frequency, &s.Recency, &s.T, &s.Monetary); err != nil {
			return nil, fmt.Errorf("sharded run %s: CLV summaries: %w", run.ID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ShardMembers calls fn with every shard's members, in no particular order;
// fn's argument is fresh on every call.
func (db *DB) ShardMembers(ctx context.Context, run ShardRun, fn func(f *customer.Features) error) error {
	rows, err := db.Query(ctx, `SELECT features FROM segment_shard_members
		WHERE namespace = $1 AND segment = $2 AND run_id = $3`, run.key()...)
	if err != nil {
		return fmt.Errorf("sharded run %s: members: %w", run.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			return fmt.Errorf("sharded run %s: members: %w", run.ID, err)
		}
		f, err := decodeMemberFeatures(row)
		if err != nil {
			return fmt.Errorf("sharded run %s: a stored member row is not valid JSON: %w", run.ID, err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// snapshotGuardKey carries a check that runs first inside a snapshot's
// transaction (replaceSnapshot). A context value rather than a parameter
// keeps the snapshot's signature, shared by every caller, unchanged.
type snapshotGuardKey struct{}

type snapshotGuard func(ctx context.Context, exec execer) error

// PublishShardSnapshot is ReplaceSegmentSnapshotRows for a sharded run: the
// same transaction first marks the run published, and returns
// ErrShardRunPublished (changing nothing) when it already was. Two last pods
// (a retried one beside the first) therefore cannot both diff the snapshot:
// on PostgreSQL the second waits on the run's row and then finds it
// published; on SQLite the transactions run one after the other.
func (db *DB) PublishShardSnapshot(ctx context.Context, run ShardRun, fill func(add func(f *customer.Features) error) error) (SegmentDiff, time.Time, error) {
	var ms int64
	if err := db.QueryRow(ctx, `SELECT as_of FROM segment_shard_runs WHERE namespace = $1 AND segment = $2 AND run_id = $3`,
		run.key()...).Scan(&ms); err != nil {
		return SegmentDiff{}, time.Time{}, fmt.Errorf("sharded run %s: %w", run.ID, err)
	}
	at := time.UnixMilli(ms).UTC()
	guard := snapshotGuard(func(ctx context.Context, exec execer) error {
		n, err := exec(ctx, `UPDATE segment_shard_runs SET published = 1
			WHERE namespace = $1 AND segment = $2 AND run_id = $3 AND published = 0`, run.key()...)
		if err != nil {
			return fmt.Errorf("sharded run %s: mark published: %w", run.ID, err)
		}
		if n == 0 {
			return ErrShardRunPublished
		}
		return nil
	})
	d, err := db.ReplaceSegmentSnapshotRows(context.WithValue(ctx, snapshotGuardKey{}, guard), run.Segment, at, fill)
	return d, at, err
}

// SetShardRunReport keeps the run's published report.
func (db *DB) SetShardRunReport(ctx context.Context, run ShardRun, report string) error {
	_, err := db.Exec(ctx, `UPDATE segment_shard_runs SET report = $4 WHERE namespace = $1 AND segment = $2 AND run_id = $3`,
		append(run.key(), report)...)
	if err != nil {
		return fmt.Errorf("sharded run %s: keep report: %w", run.ID, err)
	}
	return nil
}

// ShardRunReport returns the run's published report ("" before it is kept).
func (db *DB) ShardRunReport(ctx context.Context, run ShardRun) (string, error) {
	var report string
	err := db.QueryRow(ctx, `SELECT report FROM segment_shard_runs WHERE namespace = $1 AND segment = $2 AND run_id = $3`,
		run.key()...).Scan(&report)
	if noRows(err) {
		return "", nil
	}
	return report, err
}

// CleanShardRuns deletes the parts, members and summaries of the published
// run and of this Segment's runs that started before abandonedBefore (their
// Jobs failed or were deleted), and the run rows older than that.
func (db *DB) CleanShardRuns(ctx context.Context, run ShardRun, abandonedBefore time.Time) error {
	for _, table := range []string{"segment_shard_members", "segment_shard_summaries", "segment_shard_parts"} {
		if _, err := db.Exec(ctx, `DELETE FROM `+table+` WHERE namespace = $1 AND segment = $2 AND run_id IN
			(SELECT run_id FROM segment_shard_runs WHERE namespace = $1 AND segment = $2 AND (run_id = $3 OR as_of < $4))`,
			append(run.key(), abandonedBefore.UnixMilli())...); err != nil {
			return fmt.Errorf("sharded run %s: clean up %s: %w", run.ID, table, err)
		}
	}
	if _, err := db.Exec(ctx, `DELETE FROM segment_shard_runs WHERE namespace = $1 AND segment = $2 AND run_id <> $3 AND as_of < $4`,
		append(run.key(), abandonedBefore.UnixMilli())...); err != nil {
		return fmt.Errorf("sharded run %s: clean up runs: %w", run.ID, err)
	}
	return nil
}
