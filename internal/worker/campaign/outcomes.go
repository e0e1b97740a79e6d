package campaign

import (
	"context"
	"time"

	"github.com/retention-dev/retention-operator/internal/groupcommit"
	"github.com/retention-dev/retention-operator/internal/store"
)

// outcomeRecorder records each send's outcome as soon as the send returns.
// A sender hands its outcome over and waits, still holding its concurrency
// slot, until the outcome is committed: so the messages that went out but are
// not yet recorded as sent never exceed Options.Concurrency, and that is all a
// SIGKILL can make the next start re-send. Outcomes that arrive while one
// commit runs are committed together in the next (group commit), so a slow
// store costs one transaction per commit round, not one per message.
type outcomeRecorder struct {
	db    *store.DB
	clock func() time.Time

	queue groupcommit.Queue[queuedOutcome]
}

type queuedOutcome struct {
	o    store.DeliveryOutcome
	done chan error
}

// record commits o (with whatever else is queued) and returns once it is.
func (r *outcomeRecorder) record(ctx context.Context, o store.DeliveryOutcome) error {
	done := make(chan error, 1)
	if !r.queue.Add(queuedOutcome{o: o, done: done}) {
		// Another sender is committing; it picks ours up in its next round.
		return <-done
	}
	for batch := r.queue.Take(); len(batch) > 0; batch = r.queue.Take() {
		outcomes := make([]store.DeliveryOutcome, len(batch))
		for i, q := range batch {
			outcomes[i] = q.o
		}
		err := r.db.MarkDeliveries(ctx, outcomes, r.clock())
		for _, q := range batch {
			q.done <- err
		}
	}
	return <-done
}
