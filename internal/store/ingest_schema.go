package store

import "context"

// IngestComponent is the migration component of the ingestion API.
const IngestComponent = "ingest"

// ingestMigrations hold the ingestion API's tables (version i+1 = step i,
// append-only). Times are BIGINT microseconds since the Unix epoch (UTC), as
// in the points ledger, so one schema serves PostgreSQL and SQLite.
//
// ingest_events keeps every accepted Segment-spec message (track, identify,
// page, screen, group, alias) once per (source, message_id): a client's
// retry of an acknowledged message is a no-op. customer_id is userId, else
// anonymousId; there is no serial id, since the key is the natural one and a
// sequence and its index per row cost the write path more than they give
// (ties on occurred_at read in message_id order). name is the track event or the page/screen name; properties
// holds the message's properties (traits for identify) as a JSON object.
//
// ingest_traits is each customer's latest identify traits per source: the
// columns the engines read by name, and the rest as a JSON object.
// consent_* are NULL until an identify says; updated_at is the identify's
// timestamp, so an older identify arriving late never overwrites a newer one.
var ingestMigrations = []string{`
CREATE TABLE ingest_events (
	source       TEXT NOT NULL,
	message_id   TEXT NOT NULL,
	type         TEXT NOT NULL,
	name         TEXT NOT NULL,
	customer_id  TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	anonymous_id TEXT NOT NULL,
	occurred_at  BIGINT NOT NULL,
	received_at  BIGINT NOT NULL,
	properties   TEXT NOT NULL,
	context      TEXT NOT NULL,
	PRIMARY KEY (source, message_id)
);
CREATE INDEX ingest_events_time ON ingest_events (source, occurred_at);
CREATE TABLE ingest_traits (
	source        TEXT NOT NULL,
	customer_id   TEXT NOT NULL,
	email         TEXT NOT NULL,
	phone         TEXT NOT NULL,
	name          TEXT NOT NULL,
	time_zone     TEXT NOT NULL,
	consent_email INTEGER,
	consent_sms   INTEGER,
	attributes    TEXT NOT NULL,
	updated_at    BIGINT NOT NULL,
	PRIMARY KEY (source, customer_id)
)`,
	// Campaign workers woken by a notification read only the events received
	// since their last read (ScanIngestedEventsReceived), not their whole
	// overlap window: at 1000 events/s a 15-minute window is 900k rows a tick.
	`CREATE INDEX ingest_events_received ON ingest_events (source, received_at)`}

// MigrateIngest creates or upgrades the ingestion API's tables.
func (db *DB) MigrateIngest(ctx context.Context) error {
	return db.Migrate(ctx, IngestComponent, ingestMigrations)
}
