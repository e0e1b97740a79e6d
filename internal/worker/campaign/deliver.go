package campaign

import (
	"context"
	"sync"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/store"
)

// resendPending performs the shard's ledger rows that were recorded but never
// confirmed (a crash, or a transient failure last time) with their original
// idempotency keys. It returns how many are still pending afterwards.
func (w *worker) resendPending(ctx context.Context) (int, error) {
	ds, err := w.db.PendingDeliveries(ctx, w.pb.Name, w.o.Shard, w.o.Shards)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	for start := 0; start < len(ds); start += w.o.BatchSize {
		if err := w.deliver(ctx, ds[start:min(start+w.o.BatchSize, len(ds))]); err != nil {
			return 0, err
		}
	}
	left, err := w.db.PendingDeliveries(ctx, w.pb.Name, w.o.Shard, w.o.Shards)
	return len(left), err
}

// deliver performs pending rows with at most Concurrency in flight and
// records each outcome as soon as its send returns (see outcomeRecorder).
// Transient failures stay pending (retried next tick with the same key);
// permanent ones are marked failed.
func (w *worker) deliver(ctx context.Context, ds []store.Delivery) error {
	if !w.holdsLease() {
		// The rows stay pending; whoever holds the shard now sends them
		// with the same keys.
		return store.ErrLeaseLost
	}
	// Sending in ledger order keeps the sends a crash leaves in flight at the
	// head of the next start's pending list, so that start re-sends them
	// first and a second crash cannot add to them.
	store.LedgerOrder(ds)
	if err := w.skipSuppressed(ctx, ds); err != nil {
		return err
	}
	// A send that returned is recorded even when ctx has ended since: a
	// graceful stop must not leave a delivered message unrecorded, which the
	// next start would send again. ctx ending stops new sends.
	recordCtx := context.WithoutCancel(ctx)
	var (
		rec      = &outcomeRecorder{db: w.db, clock: w.o.Clock}
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, w.o.Concurrency)
	)
	for i := range ds {
		d := &ds[i]
		if d.Status != store.DeliveryPending {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break // the rows not started stay pending for the next start
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := w.perform(ctx, d)
			var o store.DeliveryOutcome
			switch {
			case err == nil:
				o = store.DeliveryOutcome{Key: d.Key, Status: store.DeliverySent}
			case channel.IsPermanent(err):
				o = store.DeliveryOutcome{Key: d.Key, Status: store.DeliveryFailed, Error: shortError(err)}
			default:
				w.o.Logger.Debug("transient delivery failure; will resend", "playbook", w.pb.Name, "step", d.Step, "err", err)
				w.sends.resendDue.Store(true)
				return
			}
			if err := rec.record(recordCtx, o); err != nil {
				errOnce.Do(func() { firstErr = err })
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// perform sends one message or credits one award.
func (w *worker) perform(ctx context.Context, d *store.Delivery) error {
	if d.Kind == store.DeliveryPoints {
		return w.o.Award(ctx, d.Channel, d.CustomerID, d.Points, w.awardReason(d.Step), d.Key)
	}
	sender, ok := w.o.Channels[d.Channel]
	if !ok {
		return &channel.Error{Permanent: true, Err: errUnknownChannel(d.Channel)}
	}
	msg := channel.Message{IdempotencyKey: d.Key, To: d.To, Subject: d.Subject, Body: d.Body,
		Metadata:    channel.Metadata{Playbook: d.Playbook, Step: d.Step, CustomerID: d.CustomerID},
		Unsubscribe: w.unsubscribeLinks(d)}
	if d.HTML != "" {
		msg.Body, msg.HTML = d.HTML, true
	}
	return sender.Send(ctx, msg)
}

// awardReason is the reason configured on the awardPoints step named step.
// It is looked up by name at send time (the ledger row has no reason column):
// a resend after a spec change records the current reason.
func (w *worker) awardReason(step string) string {
	for _, s := range w.o.Playbook.Steps {
		if s.Name == step && s.AwardPoints != nil {
			return s.AwardPoints.Reason
		}
	}
	return ""
}

type errUnknownChannel string

func (e errUnknownChannel) Error() string {
	return "channel " + string(e) + " is no longer configured; the pending message cannot be sent"
}

// shortError keeps the ledger's error column small.
func shortError(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
