package journey

import "github.com/retention-dev/retention-operator/internal/customer"

// Template fields holding the message's signed links (package
// subscription). Empty when the send's Channel has no preferences set;
// for a transactional topic unsubscribeURL is empty and preferencesURL set.
const (
	UnsubscribeURLField = "unsubscribeURL"
	PreferencesURLField = "preferencesURL"
)

// MessageLinks are the links one message carries.
type MessageLinks struct {
	Unsubscribe string
	Preferences string
	// Mailto is "mailto:..." for the List-Unsubscribe header; templates do
	// not see it.
	Mailto string
}

// LinksFunc returns the links of a message to customerID through channel
// on topic.
type LinksFunc func(channel, topic, customerID string) MessageLinks

// linkFields are the template names LinkFields adds to the customer's.
func linkFields() []string { return []string{UnsubscribeURLField, PreferencesURLField} }

// RenderWithLinks renders like Render and gives the templates the links.
func (r *Renderer) RenderWithLinks(f *customer.Features, l MessageLinks) (subject, body, html string, err error) {
	return r.RenderFor(f, nil, l)
}

// RenderFor renders for a customer, the journey's triggering event (nil:
// none, .event.properties is empty) and the message's links.
func (r *Renderer) RenderFor(f *customer.Features, ev *TriggerEvent, l MessageLinks) (subject, body, html string, err error) {
	data := CustomerVars(f)
	data[UnsubscribeURLField], data[PreferencesURLField] = l.Unsubscribe, l.Preferences
	data[EventField] = eventVars(ev)
	return r.render(data)
}

// links are the links of a send step's message, none without a LinksFunc.
func (p *Playbook) links(channelRef, topic, customerID string) MessageLinks {
	if p.Links == nil {
		return MessageLinks{}
	}
	return p.Links(channelRef, topic, customerID)
}
