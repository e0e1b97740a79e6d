package feedback

import (
	"fmt"
	"net/http"
)

// RequestError is a refused webhook request: Status is the HTTP status the
// handler answers with, Field what was wrong (a header, a JSON path, the
// body) and Fix what the sender or the operator should change. It never
// holds an address or a secret value.
type RequestError struct {
	Status  int
	Field   string
	Problem string
	Fix     string
}

func (e *RequestError) Error() string {
	s := e.Field + ": " + e.Problem
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// badRequest is a 400 for a malformed payload.
func badRequest(field, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Field: field, Problem: fmt.Sprintf(format, args...),
		Fix: "send the provider's documented webhook format"}
}

// unauthorized is a 401 for a request that fails authentication.
func unauthorized(field, problem, fix string) *RequestError {
	return &RequestError{Status: http.StatusUnauthorized, Field: field, Problem: problem, Fix: fix}
}
