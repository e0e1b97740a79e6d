package feedback

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// Postmark parses Postmark's bounce and spam-complaint webhooks. Postmark
// does not sign them; the webhook URL carries HTTP Basic credentials
// (https://user:password@host/feedback/postmark), checked here.
type Postmark struct {
	user, pass [sha256.Size]byte
}

// NewPostmark takes the Basic credentials configured on the webhook URL.
func NewPostmark(user, password []byte) *Postmark {
	return &Postmark{user: sha256.Sum256(user), pass: sha256.Sum256(password)}
}

// Name implements Provider.
func (*Postmark) Name() string { return "postmark" }

// Events implements Provider. Credentials are compared as digests in
// constant time, so neither their length nor a prefix leaks.
func (p *Postmark) Events(r *http.Request, body []byte, _ time.Time) ([]Event, int, error) {
	u, pw, ok := r.BasicAuth()
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(pw))
	if !ok || subtle.ConstantTimeCompare(uh[:], p.user[:])&subtle.ConstantTimeCompare(ph[:], p.pass[:]) != 1 {
		return nil, 0, unauthorized("Authorization", "HTTP Basic credentials missing or wrong",
			"put the user and password from the Secret in the Postmark webhook URL (https://USER:PASSWORD@host/feedback/postmark)")
	}
	return parsePostmark(body)
}

// postmarkRecord holds the fields of a Bounce or SpamComplaint record this
// package reads. ID is a 64-bit number, kept as json.Number so no digit is lost.
type postmarkRecord struct {
	RecordType string      `json:"RecordType"`
	ID         json.Number `json:"ID"`
	Type       string      `json:"Type"`
	Email      string      `json:"Email"`
	BouncedAt  time.Time   `json:"BouncedAt"`
}

// postmarkKinds maps Postmark bounce types to feedback kinds: the hard
// failures and the temporary ones Postmark documents; others (auto
// responders, subscribe requests, challenge mails ...) are ignored.
var postmarkKinds = map[string]store.FeedbackKind{
	"HardBounce":      store.FeedbackHardBounce,
	"BadEmailAddress": store.FeedbackHardBounce,
	"SoftBounce":      store.FeedbackSoftBounce,
	"Transient":       store.FeedbackSoftBounce,
	"DnsError":        store.FeedbackSoftBounce,
	"SpamComplaint":   store.FeedbackComplaint,
}

// parsePostmark reads one record (Postmark posts one per request).
func parsePostmark(body []byte) ([]Event, int, error) {
	if err := checkJSON(body); err != nil {
		return nil, 0, err
	}
	var rec postmarkRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, 0, badRequest("body", "not a Postmark webhook object (%s)", jsonProblem(err))
	}
	if rec.RecordType != "Bounce" && rec.RecordType != "SpamComplaint" {
		return nil, 1, nil
	}
	kind, ok := postmarkKinds[rec.Type]
	if rec.RecordType == "SpamComplaint" {
		kind, ok = store.FeedbackComplaint, true
	}
	if !ok {
		return nil, 1, nil
	}
	ev := Event{Provider: "postmark", EventID: rec.ID.String(), Address: rec.Email, Kind: kind, At: rec.BouncedAt.UTC()}
	if err := checkEvent("body", &ev); err != nil {
		return nil, 0, err
	}
	return []Event{ev}, 0, nil
}
