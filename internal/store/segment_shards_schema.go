package store

import "context"

// segmentShardMigrations hold a sharded metric run's parts (their own
// component, so they migrate apart from the segment tables). One run is the
// N pods of one Indexed Job, named by the Job's uid (run_id):
//
//   - segment_shard_runs: the run's AsOf (the first pod's clock, which every
//     pod then uses), shard count and spec hash, whether its snapshot was
//     published (set in the snapshot's own transaction: exactly once), and
//     the published report (so a retried last pod can publish it again);
//   - segment_shard_parts: one row per finished shard, its partial sums and
//     counts (JSON);
//   - segment_shard_members: each shard's members with their feature rows;
//   - segment_shard_summaries: each shard's buyers' CLV summaries (the input
//     of the BG/NBD and Gamma-Gamma fits, which need every buyer).
//
// Members and summaries are deleted once the run is published; times are
// BIGINT Unix milliseconds.
var segmentShardMigrations = []string{`
CREATE TABLE segment_shard_runs (
	namespace  TEXT NOT NULL,
	segment    TEXT NOT NULL,
	run_id     TEXT NOT NULL,
	shards     INTEGER NOT NULL,
	spec_hash  TEXT NOT NULL,
	as_of      BIGINT NOT NULL,
	published  INTEGER NOT NULL DEFAULT 0,
	report     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (namespace, segment, run_id)
);
CREATE TABLE segment_shard_parts (
	namespace   TEXT NOT NULL,
	segment     TEXT NOT NULL,
	run_id      TEXT NOT NULL,
	shard       INTEGER NOT NULL,
	partial     TEXT NOT NULL,
	finished_at BIGINT NOT NULL,
	PRIMARY KEY (namespace, segment, run_id, shard)
);
CREATE TABLE segment_shard_members (
	namespace   TEXT NOT NULL,
	segment     TEXT NOT NULL,
	run_id      TEXT NOT NULL,
	shard       INTEGER NOT NULL,
	customer_id TEXT NOT NULL,
	features    TEXT NOT NULL,
	PRIMARY KEY (namespace, segment, run_id, customer_id)
);
CREATE TABLE segment_shard_summaries (
	namespace   TEXT NOT NULL,
	segment     TEXT NOT NULL,
	run_id      TEXT NOT NULL,
	shard       INTEGER NOT NULL,
	customer_id TEXT NOT NULL,
	frequency   DOUBLE PRECISION NOT NULL,
	recency     DOUBLE PRECISION NOT NULL,
	age         DOUBLE PRECISION NOT NULL,
	monetary    DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (namespace, segment, run_id, customer_id)
)`}

// MigrateSegmentShards creates or upgrades the sharded run tables.
func (db *DB) MigrateSegmentShards(ctx context.Context) error {
	return db.Migrate(ctx, "segment-shards", segmentShardMigrations)
}
