package ingest

import (
	"fmt"
	"net/http"
)

// RequestError is a request the API refuses: the HTTP status, the JSON field
// at fault ("batch[3].userId"; "" for the whole body) and what is wrong with
// it, phrased so the sender can fix it. It never quotes a field's value (it
// may be customer data or a key).
type RequestError struct {
	Status  int
	Field   string
	Problem string
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

func badField(field, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// prefixed names a field inside a batch message.
func (e *RequestError) prefixed(prefix string) *RequestError {
	out := *e
	if out.Field == "" {
		out.Field = prefix
	} else {
		out.Field = prefix + "." + out.Field
	}
	return &out
}
