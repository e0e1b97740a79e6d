package campaign

import (
	"context"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// skipSuppressed takes the email rows of ds whose recipient is on the
// namespace's suppression list (a provider reported a hard bounce, a
// complaint, or too many soft bounces) out of sending: they are marked
// suppressed in the ledger and counted under suppressed/<reason> in one
// transaction, and their Status set so deliver skips them. It runs at send
// time, so an address suppressed after the message was planned is still
// spared, and on resends of pending rows too.
//
// The same holds for unsubscribes: a row planned before its customer
// clicked the link (pending after a crash, or being retried) is not sent.
func (w *worker) skipSuppressed(ctx context.Context, ds []store.Delivery) error {
	byKey, err := w.suppressedAddresses(ctx, ds)
	if err != nil {
		return err
	}
	if err := w.unsubscribedRows(ctx, ds, byKey); err != nil {
		return err
	}
	if len(byKey) == 0 {
		return nil
	}
	if err := w.db.MarkDeliveriesSuppressed(ctx, w.pb.Name, byKey, w.o.Clock()); err != nil {
		return err
	}
	for i := range ds {
		if _, ok := byKey[ds[i].Key]; ok {
			ds[i].Status = store.DeliverySuppressed
		}
	}
	return nil
}

// suppressedAddresses maps the keys of ds's rows whose address is on the
// suppression list to the reason.
func (w *worker) suppressedAddresses(ctx context.Context, ds []store.Delivery) (map[string]string, error) {
	byKey := map[string]string{}
	var addrs []string
	for i := range ds {
		if w.suppressible(&ds[i]) {
			addrs = append(addrs, ds[i].To)
		}
	}
	if len(addrs) == 0 {
		return byKey, nil
	}
	suppressed, err := w.db.SuppressedAddresses(ctx, w.pb.Namespace, addrs)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		if reason, ok := suppressed[ds[i].To]; ok && w.suppressible(&ds[i]) {
			byKey[ds[i].Key] = reason
		}
	}
	return byKey, nil
}

// unsubscribedRows adds to byKey the pending message rows whose customer has
// unsubscribed from the row's topic since the row was planned.
func (w *worker) unsubscribedRows(ctx context.Context, ds []store.Delivery, byKey map[string]string) error {
	var ids []string
	for i := range ds {
		if d := &ds[i]; d.Status == store.DeliveryPending && d.Kind == store.DeliveryMessage {
			ids = append(ids, d.CustomerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	u, err := w.loadUnsubscribes(ctx, ids)
	if err != nil || len(u) == 0 {
		return err
	}
	for i := range ds {
		d := &ds[i]
		e := journey.Effect{Kind: journey.EffectSend, Step: d.Step, Channel: d.Channel, ChannelKind: w.o.ChannelKinds[d.Channel]}
		if _, done := byKey[d.Key]; !done && d.Status == store.DeliveryPending && d.Kind == store.DeliveryMessage &&
			w.unsubscribed(u, d.CustomerID, e) {
			byKey[d.Key] = string(ReasonUnsubscribed)
		}
	}
	return nil
}

// suppressible: pending email messages; the suppression list holds e-mail
// addresses, which no other channel kind sends to.
func (w *worker) suppressible(d *store.Delivery) bool {
	return d.Status == store.DeliveryPending && d.Kind == store.DeliveryMessage &&
		w.o.ChannelKinds[d.Channel] == journey.KindEmail && d.To != ""
}
