package campaign

import (
	"context"
	"sync/atomic"

	"github.com/retention-dev/retention-operator/internal/store"
)

// sendPipe is a shard worker's sends in the background. A tick starts a
// batch's sends once the batch has committed; a round woken by new events
// returns without waiting for them, so the next woken round reads its
// events and writes its journeys while they are on the wire. Only one batch is in flight: starting the next waits
// for the previous one, which keeps each customer's messages in ledger
// order and the unrecorded sends a crash can leave at Options.Concurrency.
type sendPipe struct {
	// inFlight is the running batch's result (nil when none runs).
	inFlight chan error
	// resendDue is set by a send that failed transiently (deliver).
	resendDue atomic.Bool
	// lookedForPending is set once the shard's first round has resent what
	// a crash or the previous holder left pending.
	lookedForPending bool
}

// startSends performs ds in the background (deliver); the caller has
// awaited the previous batch.
func (w *worker) startSends(ctx context.Context, ds []store.Delivery) {
	if len(ds) == 0 {
		return
	}
	done := make(chan error, 1)
	go func() { done <- w.deliver(ctx, ds) }()
	w.sends.inFlight = done
}

// awaitSends waits for the batch in flight, if any, and returns its error.
func (w *worker) awaitSends() error {
	if w.sends.inFlight == nil {
		return nil
	}
	err := <-w.sends.inFlight
	w.sends.inFlight = nil
	return err
}

// needsResend says whether this round must look for pending ledger rows
// to send again: on the shard's first round (a crash or the previous
// holder left them), after a send failed transiently, and on every round
// started by the poll interval rather than by new events. A round woken by
// new events skips the look, as its own sends may be in flight: those rows
// are pending too, and must not go out a second time.
func (w *worker) needsResend() bool {
	first := !w.sends.lookedForPending
	w.sends.lookedForPending = true
	return w.sends.resendDue.Swap(false) || first || !w.woken
}
