package feedback

import (
	"net/http"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// Event is one typed feedback event: address, kind, provider, time and the
// provider's event id (store.Feedback is its one definition).
type Event = store.Feedback

// Provider authenticates one provider's webhook request and parses its
// body. Events returns the bounce and complaint events the request carries
// (other event types are counted as ignored); it returns a *RequestError
// when the request is refused, and must not return events then.
type Provider interface {
	// Name is the path segment the provider's webhook is mounted at
	// (/feedback/{name}) and the provider recorded with each event.
	Name() string
	Events(r *http.Request, body []byte, now time.Time) (events []Event, ignored int, err error)
}

// checkEvent bounds the fields every provider's event carries.
func checkEvent(field string, e *Event) error {
	e.Address = strings.TrimSpace(e.Address)
	switch {
	case e.Address == "":
		return badRequest(field, "no recipient address")
	case len(e.Address) > maxAddressLen:
		return badRequest(field, "recipient address longer than %d bytes", maxAddressLen)
	case e.EventID == "":
		return badRequest(field, "no event id")
	case len(e.EventID) > maxEventIDLen:
		return badRequest(field, "event id longer than %d bytes", maxEventIDLen)
	}
	return nil
}

// withinTolerance refuses a signed timestamp too far from now.
func withinTolerance(field string, at, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return unauthorized(field, "signed timestamp is more than "+tolerance.String()+" from now (a replay, or a clock is wrong)",
			"the provider retries with a fresh signature; check this host's clock")
	}
	return nil
}
