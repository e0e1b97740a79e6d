package store

import (
	"context"
	"sync"
	"time"
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
	mu      sync.Mutex
	running bool
	pending map[string]struct{}
}

// notifyTimeout bounds one notification; a lost one costs the listeners a
// poll interval, never an event (they read from their cursor).
const notifyTimeout = 5 * time.Second

// signal asks for a notification for source once its events are committed.
func (n *ingestNotifier) signal(db *DB, source string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil {
		n.pending = map[string]struct{}{}
	}
	n.pending[source] = struct{}{}
	if !n.running {
		n.running = true
		go n.drain(db)
	}
}

func (n *ingestNotifier) drain(db *DB) {
	for sources := n.take(); len(sources) > 0; sources = n.take() {
		for source := range sources {
			ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
			// An error (the pool closing, the server away) is left to the
			// listeners' poll: the events themselves are committed.
			db.Exec(ctx, `SELECT pg_notify($1, $2)`, IngestNotifyChannel, source) //nolint:errcheck // see above
			cancel()
		}
	}
}

// take hands the pending sources over to drain, or, when there are none,
// ends the drain: the next signal starts another.
func (n *ingestNotifier) take() map[string]struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	sources := n.pending
	n.pending = nil
	if len(sources) == 0 {
		n.running = false
	}
	return sources
}
