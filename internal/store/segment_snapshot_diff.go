package store

import (
	"context"
	"crypto/md5" //nolint:gosec // see segment_row_digest.go
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
)

// UpdateSegmentSnapshotRows is ReplaceSegmentSnapshotRows for a run that
// knows its members' rows move little from one run to the next (the metric
// job's incremental runs): instead of staging every member and diffing in
// SQL, it reads the stored snapshot's ids and a digest of each stored row,
// compares them in Go with the digests of the rows fill hands over
// (timelessDigest; JSON is encoded only for rows written), and writes only the
// difference: members who joined, members who left, and rows that changed.
// Readers see one snapshot either way: everything (the diff and the run's
// record in segment_runs) commits in one transaction.
//
// Each row is stored without recencyDays and tenureDays, which move with
// the run's time alone (customer.Features.SetTimesAsOf derives them from
// the dates the row keeps), and, when add is given a buyer's purchase days,
// without churnProbability and predictedCLV, which move with T: the row
// keeps the purchase days instead, and the run the model fill returns
// (segment_runs.score_model). SegmentMemberRows derives them all as of the
// last successful run. An unchanged member's row is therefore byte-equal
// from day to day, even across a refit of the model, and is not rewritten.
// fill's ids must be distinct.
func (db *DB) UpdateSegmentSnapshotRows(ctx context.Context, ref SegmentRef, at time.Time,
	fill func(add func(f *customer.Features, days *clv.ScoreInputs) error) (*clv.ScoreModel, error)) (SegmentDiff, error) {
	fail := func(step string, err error) (SegmentDiff, error) {
		return SegmentDiff{}, fmt.Errorf("segment snapshot %s/%s: %s: %w", ref.Namespace, ref.Name, step, err)
	}
	// The data source may still hold erased customers; the snapshot must not.
	erased, err := db.LoadErasedIDs(ctx)
	if err != nil {
		return fail("erasure list", err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return fail("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	prev, orphans, err := storedMemberDigests(ctx, tx, ref)
	if err != nil {
		return fail("read stored members", err)
	}
	// Joiners and changed rows are written as they come, a batch at a
	// time, so memory holds the stored digests and a few batches, not every
	// member's row (a first or --full run writes them all). The writes run
	// beside the scan (batchWriter): the data source's rows keep coming
	// while the state store takes the previous batch.
	var entered, rewrite []stagedMember
	var d SegmentDiff
	writer := newBatchWriter(ctx, func(ctx context.Context, b stagedBatch) error {
		if err := insertSegmentMembers(ctx, tx, ref, b.entered); err != nil {
			return fmt.Errorf("segment snapshot %s/%s: add entered members: %w", ref.Namespace, ref.Name, err)
		}
		if err := upsertTimelessRows(ctx, tx, ref, b.rewrite); err != nil {
			return fmt.Errorf("segment snapshot %s/%s: store member feature rows: %w", ref.Namespace, ref.Name, err)
		}
		return nil
	})
	writing := true
	defer func() {
		if writing {
			writer.wait() //nolint:errcheck // an earlier error is being returned
		}
	}()
	flush := func() error {
		if len(rewrite) == 0 {
			return nil
		}
		d.Entered += int64(len(entered))
		d.Rewritten += int64(len(rewrite))
		err := writer.send(stagedBatch{entered: entered, rewrite: rewrite})
		entered, rewrite = nil, nil
		return err
	}
	var buf []byte
	model, err := fill(func(f *customer.Features, score *clv.ScoreInputs) error {
		if erased.Len() > 0 && erased.Has(f.ID) {
			return nil
		}
		d.Size++
		var digest [md5.Size]byte
		digest, buf = timelessDigest(buf, f, score)
		i := prev.Find(f.ID)
		was := i >= 0 && !prev.seen[i]
		if was {
			prev.seen[i] = true // the members left unseen afterwards have exited
			if prev.timeless[i] && prev.digests[i] == digest {
				return nil
			}
		}
		row, err := encodeTimelessFeatures(f, score)
		if err != nil {
			return fmt.Errorf("segment snapshot %s/%s: %w", ref.Namespace, ref.Name, err)
		}
		m := stagedMember{id: f.ID, features: row, digest: digest}
		if !was {
			entered = append(entered, m)
		}
		rewrite = append(rewrite, m)
		if len(rewrite) < diffBatch {
			return nil
		}
		return flush()
	})
	if err != nil {
		return SegmentDiff{}, err
	}
	if err := flush(); err != nil {
		return SegmentDiff{}, err
	}
	writing = false
	if err := writer.wait(); err != nil {
		return SegmentDiff{}, err
	}
	exited := prev.unseen()
	d.Exited = int64(len(exited))
	if err := deleteSegmentRows(ctx, tx, "segment_members", ref, exited); err != nil {
		return fail("remove exited members", err)
	}
	if err := deleteSegmentRows(ctx, tx, "segment_member_features", ref, append(exited, orphans...)); err != nil {
		return fail("remove exited members' rows", err)
	}
	exec := func(ctx context.Context, query string, args ...any) (int64, error) {
		res, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	if err := recordSegmentSuccess(ctx, exec, ref, at, d, model); err != nil {
		return SegmentDiff{}, err
	}
	if err := tx.Commit(); err != nil {
		return fail("commit", err)
	}
	return d, nil
}

// timelessRow is a stored row with times_at_read = 1: the feature row
// without the fields that move with the run's time, and the buyer's
// purchase days that derive the predicted ones (absent when the run scored
// nobody or the customer never bought). The score's key sits beside the
// features' own, so the JSON is still a feature row.
type timelessRow struct {
	customer.Features
	Score *storedScore `json:",omitempty"`
}

// storedScore is a row's "Score": the purchase days, and in rows written
// before the model moved to segment_runs the model too (read as written).
type storedScore struct {
	clv.ScoreModel
	clv.ScoreInputs
}

func encodeTimelessFeatures(f *customer.Features, score *clv.ScoreInputs) (string, error) {
	row := timelessRow{Features: *f}
	if score != nil {
		row.Score = &storedScore{ScoreInputs: *score}
	}
	row.RecencyDays, row.TenureDays = 0, 0
	if score != nil {
		row.ChurnProbability, row.PredictedCLV = 0, 0
	}
	b, err := json.Marshal(&row)
	if err != nil {
		return "", fmt.Errorf("encode feature row: %w", err)
	}
	return string(b), nil
}

// decodeTimelessFeatures reads a times_at_read = 1 row and derives its
// moving fields as of runAt, the run the snapshot belongs to, scoring its
// purchase days with model (the run's; zero when it scored nobody).
func decodeTimelessFeatures(b []byte, runAt time.Time, model clv.ScoreModel) (*customer.Features, error) {
	var row timelessRow
	if err := json.Unmarshal(b, &row); err != nil {
		return nil, err
	}
	f := &row.Features
	f.SetTimesAsOf(runAt)
	if s := row.Score; s != nil {
		if !s.ScoreModel.IsZero() {
			model = s.ScoreModel
		}
		if model.IsZero() {
			return f, nil // no model this run: the predicted fields stay zero
		}
		churn, value, err := model.At(s.ScoreInputs, runAt)
		if err != nil {
			return nil, err
		}
		f.ChurnProbability, f.PredictedCLV = churn, value
	}
	return f, nil
}

// stagedBatch is one batch of the diff: the members who joined, and every
// row to write (theirs and the changed ones).
type stagedBatch struct{ entered, rewrite []stagedMember }

// diffBatch bounds the rows of one statement of the diff.
const diffBatch = 5000

func deleteSegmentRows(ctx context.Context, tx *Tx, table string, ref SegmentRef, ids []string) error {
	for part := range chunks(ids, diffBatch) {
		var err error
		if tx.db.Dialect == Postgres {
			_, err = tx.Exec(ctx, `DELETE FROM `+table+` WHERE segment = $1 AND customer_id = ANY($2)`, ref.Key(), part)
		} else {
			args := make([]any, 0, len(part)+1)
			args = append(args, ref.Key())
			marks := make([]string, len(part))
			for i, id := range part {
				args = append(args, id)
				marks[i] = fmt.Sprintf("$%d", i+2)
			}
			_, err = tx.Exec(ctx, `DELETE FROM `+table+` WHERE segment = $1 AND customer_id IN (`+strings.Join(marks, ",")+`)`, args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func insertSegmentMembers(ctx context.Context, tx *Tx, ref SegmentRef, ms []stagedMember) error {
	for part := range chunks(ms, diffBatch) {
		ids := make([]string, len(part))
		for i, m := range part {
			ids[i] = m.id
		}
		var err error
		if tx.db.Dialect == Postgres {
			_, err = tx.Exec(ctx, `INSERT INTO segment_members (segment, customer_id) SELECT $1, unnest($2::text[])`, ref.Key(), ids)
		} else {
			for rows := range chunks(ids, sqliteInsertRows) {
				args := make([]any, 0, 2*len(rows))
				for _, id := range rows {
					args = append(args, ref.Key(), id)
				}
				if _, err = tx.Exec(ctx, `INSERT INTO segment_members (segment, customer_id) VALUES `+valuesList(len(rows), 2), args...); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// upsertTimelessRows writes ms' rows with times_at_read = 1.
func upsertTimelessRows(ctx context.Context, tx *Tx, ref SegmentRef, ms []stagedMember) error {
	const upsert = ` ON CONFLICT (segment, customer_id) DO UPDATE SET bucket = excluded.bucket,
		features = excluded.features, times_at_read = 1, digest = excluded.digest`
	digest := func(m stagedMember) []byte { return m.digest[:] }
	for part := range chunks(ms, diffBatch) {
		var err error
		if tx.db.Dialect == Postgres {
			ids, buckets, rows, digests := make([]string, len(part)), make([]int32, len(part)), make([]string, len(part)), make([][]byte, len(part))
			for i, m := range part {
				ids[i], buckets[i], rows[i], digests[i] = m.id, int32(journey.Bucket(m.id)), m.features, digest(m)
			}
			_, err = tx.Exec(ctx, `INSERT INTO segment_member_features (segment, customer_id, bucket, features, times_at_read, digest)
				SELECT $1, u.id, u.bucket, u.features, 1, u.digest
				FROM unnest($2::text[], $3::int[], $4::text[], $5::bytea[]) AS u(id, bucket, features, digest)`+upsert,
				ref.Key(), ids, buckets, rows, digests)
		} else {
			for rows := range chunks(part, sqliteInsertRows) {
				args := make([]any, 0, 5*len(rows))
				for _, m := range rows {
					args = append(args, ref.Key(), m.id, journey.Bucket(m.id), m.features, digest(m))
				}
				if _, err = tx.Exec(ctx, `INSERT INTO segment_member_features (segment, customer_id, bucket, features, times_at_read, digest)
					SELECT column1, column2, column3, column4, 1, column5 FROM (VALUES `+valuesList(len(rows), 5)+`) WHERE true`+upsert, args...); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
