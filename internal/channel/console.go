package channel

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// ConsoleSender writes one human-readable line per message, for local runs:
//
//	[console] to=j***@example.com subject="Welcome back" step=winback-1 key=...
//
// The recipient is masked (MaskRecipient) and the body is not written.
type ConsoleSender struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsoleSender writes to w (os.Stdout in local runs).
func NewConsoleSender(w io.Writer) *ConsoleSender { return &ConsoleSender{w: w} }

// Send writes the summary line. Write errors are transient.
func (c *ConsoleSender) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if msg.IdempotencyKey == "" {
		return permanentf("console: message has no IdempotencyKey")
	}
	line := fmt.Sprintf("[console] to=%s subject=%q step=%s key=%s\n",
		MaskRecipient(msg.To), msg.Subject, msg.Metadata.Step, msg.IdempotencyKey)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, line); err != nil {
		return &Error{Channel: "console", Err: err}
	}
	return nil
}

// MaskRecipient hides most of an address: "jane@example.com" -> "j***@example.com";
// a customer id "cust-123" -> "c***"; "" -> "***". The domain stays visible
// because it is useful when debugging deliverability and identifies no one.
func MaskRecipient(to string) string {
	local, domain, isEmail := strings.Cut(to, "@")
	if !isEmail {
		local = to
	}
	masked := "***"
	if r := []rune(local); len(r) > 0 {
		masked = string(r[0]) + "***"
	}
	if isEmail {
		return masked + "@" + domain
	}
	return masked
}
