package store

import "context"

// suppressionMigrations hold the suppression list and the provider feedback
// that built it (version i+1 = step i, append-only). Addresses are stored
// only as SuppressionKey (a SHA-256 of the normalised address), never in
// clear: the list must outlive a customer's erasure (a forgotten customer
// must not be mailed again), and a digest is all a look-up at send time
// needs. Times are BIGINT milliseconds since the Unix epoch.
//
// suppression_feedback has one row per provider event (primary key
// namespace, provider, event id), so a provider's retry of the same event
// is recorded once; soft bounces are counted from it.
var suppressionMigrations = []string{`
CREATE TABLE suppressions (
	namespace     TEXT NOT NULL,
	address_key   TEXT NOT NULL,
	reason        TEXT NOT NULL,
	provider      TEXT NOT NULL,
	suppressed_at BIGINT NOT NULL,
	PRIMARY KEY (namespace, address_key)
);
CREATE TABLE suppression_feedback (
	namespace   TEXT NOT NULL,
	provider    TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	address_key TEXT NOT NULL,
	kind        TEXT NOT NULL,
	occurred_at BIGINT NOT NULL,
	PRIMARY KEY (namespace, provider, event_id)
);
CREATE INDEX suppression_feedback_address ON suppression_feedback (namespace, address_key, kind, occurred_at)`}

// MigrateSuppressions creates or upgrades the suppression tables.
func (db *DB) MigrateSuppressions(ctx context.Context) error {
	return db.Migrate(ctx, "suppression", suppressionMigrations)
}
