package store

import "context"

// SegmentComponent is the migration component of the Segment metric job.
const SegmentComponent = "segment"

// segmentMigrations hold the metric job's tables (version i+1 = step i,
// append-only). segment_members is shared with the campaign worker, which
// reads it through SegmentMembers; the journey migrations create the same
// table with IF NOT EXISTS, so whichever component migrates first creates it
// and the shapes must stay identical. segment_runs keeps one row per Segment:
// the last run and, across failed runs, when and with what size the last
// successful one ended. segment_member_features holds each member's feature
// row as the metric job computed it (JSON of customer.Features, predicted
// features included; bucket as in journey_states), for the campaign
// workers; times_at_read = 1 marks a row stored without recencyDays and
// tenureDays, which the reader derives as of the last successful run
// (UpdateSegmentSnapshotRows), which also keeps a digest of such a row
// (timelessDigest) to find changed rows without reading them; such rows
// keep a buyer's purchase days, and segment_runs.score_model the fitted
// model (JSON of clv.ScoreModel, ” when the run scored nobody) they are
// scored with when read. Times are BIGINT Unix
// milliseconds, 0 = never.
var segmentMigrations = []string{`
CREATE TABLE IF NOT EXISTS segment_members (
	segment     TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	PRIMARY KEY (segment, customer_id)
);
CREATE TABLE segment_runs (
	namespace       TEXT NOT NULL,
	segment         TEXT NOT NULL,
	last_run_at     BIGINT NOT NULL,
	last_success_at BIGINT NOT NULL,
	succeeded       INTEGER NOT NULL,
	error           TEXT NOT NULL,
	size            BIGINT NOT NULL,
	entered         BIGINT NOT NULL,
	exited          BIGINT NOT NULL,
	PRIMARY KEY (namespace, segment)
)`, `
CREATE TABLE segment_member_features (
	segment     TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	bucket      INTEGER NOT NULL,
	features    TEXT NOT NULL,
	PRIMARY KEY (segment, customer_id)
)`, `
ALTER TABLE segment_member_features ADD COLUMN times_at_read INTEGER NOT NULL DEFAULT 0`, `
ALTER TABLE segment_member_features ADD COLUMN digest BYTEA`, `
ALTER TABLE segment_runs ADD COLUMN score_model TEXT NOT NULL DEFAULT ''`}

// MigrateSegments creates or upgrades the metric job's tables.
func (db *DB) MigrateSegments(ctx context.Context) error {
	return db.Migrate(ctx, SegmentComponent, segmentMigrations)
}
