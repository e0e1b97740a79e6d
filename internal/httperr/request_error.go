// Package httperr holds the error the operator's HTTP APIs (the ingestion
// API, the feedback webhooks) answer a refused request with.
package httperr

import (
	"fmt"
	"net/http"
)

// RequestError is a refused request: Status is the HTTP status to answer
// with, Field what was wrong ("batch[3].userId", a header, "body"; "" for the
// request as a whole), Problem what is wrong with it and Fix, when set, what
// the sender or the operator should change. It never quotes a field's value
// (it may be customer data, an address or a secret).
type RequestError struct {
	Status  int
	Field   string
	Problem string
	Fix     string
}

func (e *RequestError) Error() string {
	s := e.Problem
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// BadRequest is a 400 for a field whose value is wrong.
func BadRequest(field, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Prefixed is e for a field inside prefix ("traits" + "email" is
// "traits.email").
func (e *RequestError) Prefixed(prefix string) *RequestError {
	out := *e
	if out.Field == "" {
		out.Field = prefix
	} else {
		out.Field = prefix + "." + out.Field
	}
	return &out
}
