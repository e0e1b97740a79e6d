package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// Each member's feature row is stored as the JSON of customer.Features: one
// column whose shape follows the struct, so a feature added to the engine
// needs no migration here.

func encodeMemberFeatures(f *customer.Features) (string, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("encode feature row: %w", err)
	}
	return string(b), nil
}

func decodeMemberFeatures(row string) (*customer.Features, error) {
	f := &customer.Features{}
	return f, json.Unmarshal([]byte(row), f)
}

// replaceMemberFeatures makes segment_member_features hold the staged rows
// of ref's members: rows of members that left (or that the run staged
// without features) are deleted, new and changed rows written, unchanged
// rows left alone. It runs in the snapshot's transaction.
func replaceMemberFeatures(ctx context.Context, exec execer, ref SegmentRef) error {
	if _, err := exec(ctx, `DELETE FROM segment_member_features WHERE segment = $1 AND NOT EXISTS
		(SELECT 1 FROM segment_staging s WHERE s.customer_id = segment_member_features.customer_id AND s.features <> '')`,
		ref.Key()); err != nil {
		return err
	}
	// One row per member even if the fill repeated an id (an upsert may not
	// touch a row twice in one statement).
	_, err := exec(ctx, `INSERT INTO segment_member_features (segment, customer_id, bucket, features)
		SELECT $1, customer_id, max(bucket), max(features) FROM segment_staging WHERE features <> ''
		GROUP BY customer_id
		ON CONFLICT (segment, customer_id) DO UPDATE SET features = excluded.features, times_at_read = 0, digest = NULL
		WHERE segment_member_features.features <> excluded.features OR segment_member_features.times_at_read <> 0`, ref.Key())
	return err
}

// SegmentMemberRows calls fn with every stored member of ref in replica
// shard of shards and the feature row the metric job stored for it (nil when
// the run stored none: a metric job that only wrote ids).
func (db *DB) SegmentMemberRows(ctx context.Context, ref SegmentRef, shard, shards int,
	fn func(id string, f *customer.Features) error) error {
	// A run that commits between reading the model and reading the rows
	// would score its rows with the previous run's model: the rows say
	// which run they belong to, and a mismatch reads both again.
	for range 3 {
		model, modelAt, err := db.segmentScoreModel(ctx, ref)
		if err != nil {
			return err
		}
		err = db.segmentMemberRows(ctx, ref, shard, shards, model, modelAt, fn)
		if !errors.Is(err, errSnapshotMoved) {
			return err
		}
	}
	return fmt.Errorf("segment %s members: the snapshot changed three times while being read; try again", ref.Key())
}

// errSnapshotMoved is a run that committed between segmentScoreModel and
// the rows' read.
var errSnapshotMoved = errors.New("snapshot moved")

// segmentScoreModel is the model the last successful run of ref scored its
// rows with (zero when none) and that run's time in Unix milliseconds.
func (db *DB) segmentScoreModel(ctx context.Context, ref SegmentRef) (clv.ScoreModel, int64, error) {
	var model clv.ScoreModel
	var at int64
	var raw string
	err := db.QueryRow(ctx, `SELECT last_success_at, score_model FROM segment_runs WHERE namespace = $1 AND segment = $2`,
		ref.Namespace, ref.Name).Scan(&at, &raw)
	switch {
	case noRows(err):
		return model, 0, nil
	case err != nil:
		return model, 0, fmt.Errorf("segment %s members: %w", ref.Key(), err)
	case raw != "":
		if err := json.Unmarshal([]byte(raw), &model); err != nil {
			return model, 0, fmt.Errorf("segment %s: the stored model of the last run is not readable; the next metric run rewrites it", ref.Key())
		}
	}
	return model, at, nil
}

func (db *DB) segmentMemberRows(ctx context.Context, ref SegmentRef, shard, shards int, model clv.ScoreModel, modelAt int64,
	fn func(id string, f *customer.Features) error) error {
	// The run's time comes with the rows, in the same statement, so rows
	// stored without their times get them as of the snapshot they belong to.
	q := `SELECT m.customer_id, COALESCE(f.features, ''), COALESCE(f.times_at_read, 0),
		COALESCE((SELECT r.last_success_at FROM segment_runs r WHERE r.namespace = $2 AND r.segment = $3), 0)
		FROM segment_members m
		LEFT JOIN segment_member_features f ON f.segment = m.segment AND f.customer_id = m.customer_id
		WHERE m.segment = $1`
	if shards > 1 {
		// segment_members has no bucket column; the feature row's does, and
		// members without one are filtered by the caller.
		q += fmt.Sprintf(" AND (f.bucket IS NULL OR f.bucket %% %d = %d)", shards, shard)
	}
	rows, err := db.Query(ctx, q, ref.Key(), ref.Namespace, ref.Name)
	if err != nil {
		return fmt.Errorf("segment %s members: %w", ref.Key(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, row string
		var timesAtRead int
		var runAt int64
		if err := rows.Scan(&id, &row, &timesAtRead, &runAt); err != nil {
			return fmt.Errorf("segment %s members: %w", ref.Key(), err)
		}
		if runAt != modelAt {
			return errSnapshotMoved
		}
		var f *customer.Features
		switch {
		case row == "":
		case timesAtRead == 1:
			var err error
			if f, err = decodeTimelessFeatures([]byte(row), time.UnixMilli(runAt).UTC(), model); err != nil {
				return fmt.Errorf("segment %s: a stored member feature row is not readable; the next metric run rewrites it", ref.Key())
			}
		default:
			if f, err = decodeMemberFeatures(row); err != nil {
				return fmt.Errorf("segment %s: a stored member feature row is not valid JSON; the next metric run rewrites it", ref.Key())
			}
		}
		if err := fn(id, f); err != nil {
			return err
		}
	}
	return rows.Err()
}
