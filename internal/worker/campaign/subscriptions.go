package campaign

import (
	"context"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
)

// ReasonUnsubscribed counts sends skipped because the customer unsubscribed
// from the step's topic on the channel's kind (status.suppressed.unsubscribed).
const ReasonUnsubscribed journey.Reason = "unsubscribed"

// unsubscribes are one batch's recorded unsubscribes: customer id ->
// "kind/topic" (see store.UnsubscribedAmong).
type unsubscribes map[string]map[string]bool

// loadUnsubscribes reads the batch's unsubscribes once, before its
// transaction. The DataSource's consent was already checked by the engine;
// a recorded unsubscribe only ever removes sends on top of it.
func (w *worker) loadUnsubscribes(ctx context.Context, ids []string) (unsubscribes, error) {
	return w.db.UnsubscribedAmong(ctx, w.pb.Namespace, ids)
}

// unsubscribed reports whether e is a send its customer opted out of. A
// transactional topic (the Channel's spec.preferences.topics) is always sent.
func (w *worker) unsubscribed(u unsubscribes, customerID string, e journey.Effect) bool {
	if e.Kind != journey.EffectSend || len(u[customerID]) == 0 {
		return false
	}
	topic := w.stepTopic(e.Step)
	if l := w.o.Preferences[e.Channel]; l != nil && l.Transactional(topic) {
		return false
	}
	return u[customerID][subscriptionKind(e.ChannelKind)+"/"+topic]
}

// subscriptionKind is the kind a choice is recorded under: the console
// stands in for email (as for consent), so a playbook tried on the console
// honours email unsubscribes.
func subscriptionKind(k journey.ChannelKind) string {
	if k == journey.KindConsole {
		return string(journey.KindEmail)
	}
	return string(k)
}

// stepTopic is the topic of the send step named step.
func (w *worker) stepTopic(step string) string {
	for _, s := range w.o.Playbook.Steps {
		if s.Name == step && s.Send != nil {
			return s.Send.Topic
		}
	}
	return ""
}

// messageLinks is the engine's LinksFunc: signed links for Channels with
// preferences, none for the others.
func (o *Options) messageLinks(ch, topic, customerID string) journey.MessageLinks {
	l := o.Preferences[ch]
	if l == nil {
		return journey.MessageLinks{}
	}
	links := l.Links(subscription.Subject{CustomerID: customerID, ChannelKind: subscriptionKind(o.ChannelKinds[ch]), Topic: topic})
	return journey.MessageLinks{Unsubscribe: links.Unsubscribe, Preferences: links.Preferences, Mailto: links.Mailto}
}

// unsubscribeLinks are the links a ledger row's message carries when it is
// sent (headers for mail, fields for webhooks). They are made again at send
// time from the row's customer, step and channel, so a resend carries the
// same ones.
func (w *worker) unsubscribeLinks(d *store.Delivery) *channel.Unsubscribe {
	if w.o.Preferences[d.Channel] == nil {
		return nil
	}
	l := w.o.messageLinks(d.Channel, w.stepTopic(d.Step), d.CustomerID)
	return &channel.Unsubscribe{URL: l.Unsubscribe, PreferencesURL: l.Preferences, Mailto: l.Mailto}
}
