package feedback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// Mailgun verifies and parses Mailgun webhooks: the signature travels in
// the body, {"signature": {timestamp, token, signature}, "event-data": ...},
// and is the hex HMAC-SHA256 of timestamp+token keyed with the webhook
// signing key.
type Mailgun struct {
	signingKey []byte
	tolerance  time.Duration
}

// NewMailgun takes the HTTP webhook signing key (Mailgun's Settings > API
// Keys). keyName names where it came from for errors.
func NewMailgun(signingKey []byte, keyName string, tolerance time.Duration) (*Mailgun, error) {
	if len(signingKey) == 0 {
		return nil, &RequestError{Status: http.StatusInternalServerError, Field: keyName, Problem: "mailgun signing key is empty",
			Fix: "put the webhook signing key from Mailgun's Settings > API Keys in the Secret"}
	}
	return &Mailgun{signingKey: append([]byte(nil), signingKey...), tolerance: tolerance}, nil
}

// Name implements Provider.
func (*Mailgun) Name() string { return "mailgun" }

type mailgunPayload struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData *struct {
		Event     string  `json:"event"`
		Severity  string  `json:"severity"`
		Recipient string  `json:"recipient"`
		Timestamp float64 `json:"timestamp"`
		ID        string  `json:"id"`
	} `json:"event-data"`
}

// Events implements Provider.
func (m *Mailgun) Events(_ *http.Request, body []byte, now time.Time) ([]Event, int, error) {
	p, err := decodeMailgun(body)
	if err != nil {
		return nil, 0, err
	}
	s := p.Signature
	if s.Timestamp == "" || s.Token == "" || s.Signature == "" {
		return nil, 0, unauthorized("signature", "timestamp, token or signature missing", "send Mailgun's webhook body unchanged")
	}
	got, err := hex.DecodeString(s.Signature)
	mac := hmac.New(sha256.New, m.signingKey)
	mac.Write([]byte(s.Timestamp + s.Token))
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return nil, 0, unauthorized("signature.signature", "does not verify with the configured signing key",
			"check that the Secret holds this Mailgun account's current webhook signing key")
	}
	sec, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil {
		return nil, 0, unauthorized("signature.timestamp", "not Unix seconds", "send Mailgun's webhook body unchanged")
	}
	if err := withinTolerance("signature.timestamp", time.Unix(sec, 0), now, m.tolerance); err != nil {
		return nil, 0, err
	}
	return mailgunEvents(p)
}

// decodeMailgun bounds and decodes the body (signature not yet checked).
func decodeMailgun(body []byte) (*mailgunPayload, error) {
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, badRequest("body", "not a Mailgun webhook object")
	}
	return &p, nil
}

// mailgunBounces is the bounce a failed event is, by its severity.
var mailgunBounces = map[string]store.FeedbackKind{"permanent": store.FeedbackHardBounce, "temporary": store.FeedbackSoftBounce}

// mailgunEvents maps event-data: failed with severity permanent (hard) or
// temporary (soft), and complained; every other event is ignored.
func mailgunEvents(p *mailgunPayload) ([]Event, int, error) {
	d := p.EventData
	if d == nil {
		return nil, 0, badRequest("event-data", "missing")
	}
	var kind store.FeedbackKind
	switch d.Event {
	case "complained":
		kind = store.FeedbackComplaint
	case "failed":
		var ok bool
		if kind, ok = mailgunBounces[d.Severity]; !ok {
			return nil, 0, badRequest("event-data.severity", "want permanent or temporary")
		}
	default:
		return nil, 1, nil
	}
	if math.IsNaN(d.Timestamp) || d.Timestamp < 0 || d.Timestamp > math.MaxInt32*4 {
		return nil, 0, badRequest("event-data.timestamp", "not a Unix time")
	}
	sec, frac := math.Modf(d.Timestamp)
	ev := Event{Provider: "mailgun", EventID: d.ID, Address: d.Recipient, Kind: kind,
		At: time.Unix(int64(sec), int64(frac*1e9)).UTC()}
	if err := checkEvent("event-data", &ev); err != nil {
		return nil, 0, err
	}
	return []Event{ev}, 0, nil
}
