package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
)

// SegmentRef names a Segment. Membership rows are keyed by Name alone because
// the campaign worker looks members up by the Playbook's segmentRef (a name
// in the Playbook's own namespace); segment_runs carries the namespace too.
type SegmentRef struct {
	Namespace, Name string
}

// Key is how a Segment's members are keyed in segment_members:
// "namespace/name", so Segments of the same name in two namespaces sharing a
// PostgreSQL state store never mix.
func (r SegmentRef) Key() string { return r.Namespace + "/" + r.Name }

// SegmentRun is the stored outcome of a Segment's latest run.
type SegmentRun struct {
	LastRunAt time.Time
	// LastSuccessAt is zero until a run succeeds, and survives failed runs.
	LastSuccessAt time.Time
	Succeeded     bool
	Error         string
	// Size, Entered and Exited are those of the last successful run.
	Size, Entered, Exited int64
}

// LastSegmentRun returns the stored run of ref; ok is false before the first run.
func (db *DB) LastSegmentRun(ctx context.Context, ref SegmentRef) (run SegmentRun, ok bool, err error) {
	var lastRun, lastSuccess, succeeded int64
	err = db.QueryRow(ctx, `SELECT last_run_at, last_success_at, succeeded, error, size, entered, exited
		FROM segment_runs WHERE namespace = $1 AND segment = $2`, ref.Namespace, ref.Name).
		Scan(&lastRun, &lastSuccess, &succeeded, &run.Error, &run.Size, &run.Entered, &run.Exited)
	if noRows(err) {
		return SegmentRun{}, false, nil
	}
	if err != nil {
		return SegmentRun{}, false, fmt.Errorf("segment run %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	run.LastRunAt, run.LastSuccessAt, run.Succeeded = fromMS(lastRun), fromMS(lastSuccess), succeeded == 1
	return run, true, nil
}

// RecordSegmentFailure stores a failed run of ref at at. The membership and
// the last success (time, size, entered, exited) are left as they were, so
// the next good run diffs against the last good snapshot.
func (db *DB) RecordSegmentFailure(ctx context.Context, ref SegmentRef, at time.Time, msg string) error {
	_, err := db.Exec(ctx, `INSERT INTO segment_runs
		(namespace, segment, last_run_at, last_success_at, succeeded, error, size, entered, exited)
		VALUES ($1, $2, $3, 0, 0, $4, 0, 0, 0)
		ON CONFLICT (namespace, segment) DO UPDATE SET
			last_run_at = excluded.last_run_at, succeeded = 0, error = excluded.error`,
		ref.Namespace, ref.Name, at.UnixMilli(), msg)
	if err != nil {
		return fmt.Errorf("record failed run of segment %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	return nil
}

// recordSegmentSuccess upserts a successful run inside the snapshot's
// transaction, with the model its members' rows are scored with (nil: none).
func recordSegmentSuccess(ctx context.Context, exec execer, ref SegmentRef, at time.Time, d SegmentDiff, model *clv.ScoreModel) error {
	var scoreModel string
	if model != nil && !model.IsZero() {
		b, err := json.Marshal(model)
		if err != nil {
			return fmt.Errorf("record run of segment %s/%s: %w", ref.Namespace, ref.Name, err)
		}
		scoreModel = string(b)
	}
	_, err := exec(ctx, `INSERT INTO segment_runs
		(namespace, segment, last_run_at, last_success_at, succeeded, error, size, entered, exited, score_model)
		VALUES ($1, $2, $3, $3, 1, '', $4, $5, $6, $7)
		ON CONFLICT (namespace, segment) DO UPDATE SET
			last_run_at = excluded.last_run_at, last_success_at = excluded.last_success_at, succeeded = 1,
			error = '', size = excluded.size, entered = excluded.entered, exited = excluded.exited,
			score_model = excluded.score_model`,
		ref.Namespace, ref.Name, at.UnixMilli(), d.Size, d.Entered, d.Exited, scoreModel)
	if err != nil {
		return fmt.Errorf("record run of segment %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	return nil
}
