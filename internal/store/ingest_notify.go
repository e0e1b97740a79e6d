package store

import (
	"context"
	"slices"
	"time"

	"github.com/retention-dev/retention-operator/internal/groupcommit"
)

// ingestNotifier sends IngestNotifyChannel's notifications after the ingest
// commits, never inside them. PostgreSQL queues a transaction's
// notifications under one database-wide lock taken at commit and held through
// its WAL flush, so a pg_notify in every ingest transaction made those
// commits run one at a time. Here one notification is in flight at a time,
// and the commits that land while it runs are covered by one more after it:
// the last commit is always followed by a notification, and a busy API sends
// a few per WAL flush instead of one per request.
type ingestNotifier struct {
	sources groupcommit.Queue[string]
}

// notifyTimeout bounds one notification; a lost one costs the listeners a
// poll interval, never an event (they read from their cursor).
const notifyTimeout = 5 * time.Second

// signal asks for a notification for source once its events are committed.
func (n *ingestNotifier) signal(db *DB, source string) {
	if n.sources.Add(source) {
		go n.drain(db)
	}
}

// drain notifies each source of a round once, however many commits asked.
func (n *ingestNotifier) drain(db *DB) {
	for sources := n.sources.Take(); len(sources) > 0; sources = n.sources.Take() {
		slices.Sort(sources)
		for _, source := range slices.Compact(sources) {
			ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
			// An error (the pool closing, the server away) is left to the
			// listeners' poll: the events themselves are committed.
			db.Exec(ctx, `SELECT pg_notify($1, $2)`, IngestNotifyChannel, source) //nolint:errcheck // see above
			cancel()
		}
	}
}
