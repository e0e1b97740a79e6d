package channel

import (
	"errors"
	"fmt"
	"time"
)

// Error is a classified delivery error.
type Error struct {
	// Channel is "webhook", "smtp", "console" or "" for validation errors.
	Channel string
	// Permanent is true when retrying cannot help (the receiver rejected the
	// message itself, or the message is invalid).
	Permanent bool
	// StatusCode is the HTTP status or SMTP reply code, 0 when there was none.
	StatusCode int
	// RetryAfter is the minimum wait the receiver asked for (HTTP Retry-After), 0 if none.
	RetryAfter time.Duration
	// Err is the underlying cause. Its text is kept free of recipient
	// addresses and receiver-supplied text, so the error can be logged.
	Err error
	// Detail is the receiver's own words (HTTP response body snippet, SMTP
	// reply text). Receivers often echo addresses or ids back, so Detail is not
	// part of Error() and may only be logged at debug level.
	Detail string
}

func (e *Error) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	prefix := "channel"
	if e.Channel != "" {
		prefix = e.Channel
	}
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s: %s error (status %d): %v", prefix, kind, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("%s: %s error: %v", prefix, kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err (or anything it wraps) is a permanent
// delivery error. Unclassified errors are treated as transient, because a
// network failure or a timeout may well succeed on the next attempt.
func IsPermanent(err error) bool {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Permanent
	}
	return false
}

// RetryAfter returns the wait the receiver asked for before the next attempt
// (HTTP 429/503 Retry-After), and whether there was one.
func RetryAfter(err error) (time.Duration, bool) {
	var ce *Error
	if errors.As(err, &ce) && ce.RetryAfter > 0 {
		return ce.RetryAfter, true
	}
	return 0, false
}

// permanentf builds a permanent validation error (no channel, no status).
func permanentf(format string, args ...any) error {
	return &Error{Permanent: true, Err: fmt.Errorf(format, args...)}
}

// redactedError shows a fixed text while keeping the original error reachable
// through errors.Is/As. Used where the library's message would name recipients.
type redactedError struct {
	text  string
	cause error
}

func (r *redactedError) Error() string { return r.text }
func (r *redactedError) Unwrap() error { return r.cause }
