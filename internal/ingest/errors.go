package ingest

import "github.com/retention-dev/retention-operator/internal/httperr"

// RequestError is a request the API refuses (the JSON field at fault and what
// is wrong with it, phrased so the sender can fix it).
type RequestError = httperr.RequestError

func badField(field, format string, args ...any) *RequestError {
	return httperr.BadRequest(field, format, args...)
}
