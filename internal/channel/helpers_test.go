package channel

import (
	"context"
	"errors"
)

// asError is errors.As for *Error.
func asError(err error, target **Error) bool { return errors.As(err, target) }

// SenderFunc adapts a function to the Sender interface (tests' senders).
type SenderFunc func(ctx context.Context, msg Message) error

// Send calls f(ctx, msg).
func (f SenderFunc) Send(ctx context.Context, msg Message) error { return f(ctx, msg) }
