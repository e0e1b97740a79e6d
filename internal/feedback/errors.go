package feedback

import (
	"net/http"

	"github.com/retention-dev/retention-operator/internal/httperr"
)

// RequestError is a refused webhook request (a header, a JSON path or the
// body, and what the sender or the operator should change).
type RequestError = httperr.RequestError

// badRequest is a 400 for a malformed payload.
func badRequest(field, format string, args ...any) *RequestError {
	e := httperr.BadRequest(field, format, args...)
	e.Fix = "send the provider's documented webhook format"
	return e
}

// unauthorized is a 401 for a request that fails authentication.
func unauthorized(field, problem, fix string) *RequestError {
	return &RequestError{Status: http.StatusUnauthorized, Field: field, Problem: problem, Fix: fix}
}
