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
func (w *worker) skipSuppressed(ctx context.Context, ds []store.Delivery) error {
	var addrs []string
	for i := range ds {
		if w.suppressible(&ds[i]) {
			addrs = append(addrs, ds[i].To)
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	suppressed, err := w.db.SuppressedAddresses(ctx, w.pb.Namespace, addrs)
	if err != nil || len(suppressed) == 0 {
		return err
	}
	byKey := map[string]string{}
	for i := range ds {
		if reason, ok := suppressed[ds[i].To]; ok && w.suppressible(&ds[i]) {
			byKey[ds[i].Key] = reason
		}
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

// suppressible: pending email messages; the suppression list holds e-mail
// addresses, which no other channel kind sends to.
func (w *worker) suppressible(d *store.Delivery) bool {
	return d.Status == store.DeliveryPending && d.Kind == store.DeliveryMessage &&
		w.o.ChannelKinds[d.Channel] == journey.KindEmail && d.To != ""
}
