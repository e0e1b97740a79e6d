package ingest

import (
	"encoding/json"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// Identify traits the engines read by name. email, phone and name are the
// spec's reserved traits; the time zone is traits.timezone (or the spec's
// context.timezone); consent is this API's own convention, since the spec
// reserves none: consentEmail and consentSms, booleans. Every other trait is
// kept as a custom attribute.
var namedTraits = map[string]bool{"email": true, "phone": true, "name": true, "timezone": true,
	"consentEmail": true, "consentSms": true}

// traitUpdate maps an identify's traits (already known to be an object).
func traitUpdate(m *wireMessage, customerID string, at time.Time) (*store.TraitUpdate, *RequestError) {
	u := &store.TraitUpdate{CustomerID: customerID, At: at}
	var traits map[string]json.RawMessage
	if len(m.Traits) > 0 {
		if err := decodeJSON(m.Traits, &traits); err != nil {
			return nil, err.Prefixed("traits")
		}
	}
	var named struct {
		Email        string `json:"email"`
		Phone        string `json:"phone"`
		Name         string `json:"name"`
		TimeZone     string `json:"timezone"`
		ConsentEmail *bool  `json:"consentEmail"`
		ConsentSMS   *bool  `json:"consentSms"`
	}
	if len(m.Traits) > 0 {
		if err := decodeJSON(m.Traits, &named); err != nil {
			return nil, err.Prefixed("traits")
		}
	}
	if named.TimeZone == "" && len(m.Context) > 0 {
		var ctx struct {
			TimeZone string `json:"timezone"`
		}
		if err := decodeJSON(m.Context, &ctx); err != nil {
			return nil, err.Prefixed("context")
		}
		named.TimeZone = ctx.TimeZone
	}
	if named.TimeZone != "" {
		if len(named.TimeZone) > 64 {
			return nil, badField("traits.timezone", "longer than 64 bytes; want an IANA time zone such as Europe/Paris")
		}
		if _, err := time.LoadLocation(named.TimeZone); err != nil {
			return nil, badField("traits.timezone", "not an IANA time zone; want a name such as Europe/Paris")
		}
	}
	u.Email, u.Phone, u.Name, u.TimeZone = named.Email, named.Phone, named.Name, named.TimeZone
	u.ConsentEmail, u.ConsentSMS = named.ConsentEmail, named.ConsentSMS
	custom := map[string]json.RawMessage{}
	for k, v := range traits {
		if !namedTraits[k] {
			custom[k] = v
		}
	}
	if len(custom) > 0 {
		raw, err := json.Marshal(custom)
		if err != nil {
			return nil, badField("traits", "cannot be re-encoded: %v", err)
		}
		u.Attributes = raw
	}
	return u, nil
}
