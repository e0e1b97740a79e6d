package channel

import (
	"context"
	"log/slog"
)

// Message is one rendered message for one recipient.
type Message struct {
	// IdempotencyKey identifies this delivery; the same key on a resend lets the
	// receiver drop the duplicate. Required.
	IdempotencyKey string
	// To is the recipient: an e-mail address for SMTP, an e-mail address or a
	// customer id for webhooks.
	To string
	// Subject is the mail subject (webhooks carry it in the JSON payload).
	Subject string
	// Body is the rendered body, plain text or HTML depending on HTML.
	Body string
	// HTML marks Body as text/html instead of text/plain.
	HTML bool
	// Headers are extra headers: HTTP headers for webhooks, mail headers for SMTP.
	Headers map[string]string
	// Unsubscribe, when set, adds List-Unsubscribe headers to mail and the
	// links to webhook payloads.
	Unsubscribe *Unsubscribe
	// Metadata says where the message came from. It holds a customer id, so it is
	// never logged at info level (see LogValue).
	Metadata Metadata
}

// Metadata links a message to the playbook step that produced it.
type Metadata struct {
	Playbook   string `json:"playbook,omitempty"`
	Step       string `json:"step,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
}

// LogValue keeps customer data out of logs: only the idempotency key, playbook
// and step are shown; the recipient, subject, body and customer id are not.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("idempotency_key", m.IdempotencyKey),
		slog.String("playbook", m.Metadata.Playbook),
		slog.String("step", m.Metadata.Step),
	)
}

// Sender delivers a single message. Implementations are safe for concurrent use.
// ctx ending stops waits and retries, but a transport call already on the
// wire runs to its own timeout (onTheWire): a stop must not cut a message the
// receiver may already hold, which would leave it unrecorded and sent again.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// onTheWire is the context for a transport call starting now: it returns
// ctx's error if ctx has already ended, so nothing new starts after a stop,
// and otherwise a context the caller's cancellation no longer reaches; the
// transport's own timeout bounds the call.
func onTheWire(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}
