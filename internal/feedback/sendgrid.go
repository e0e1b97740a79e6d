package feedback

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
)

// SendGrid's signature headers (Event Webhook security features).
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// SendGrid verifies and parses the SendGrid Event Webhook.
type SendGrid struct {
	key       *ecdsa.PublicKey
	tolerance time.Duration
}

// NewSendGrid takes the verification key as SendGrid shows it (base64 of
// the DER public key, P-256). keyName names where it came from (a Secret
// key) for errors; the key itself is never echoed.
func NewSendGrid(verificationKey []byte, keyName string, tolerance time.Duration) (*SendGrid, error) {
	der, err := base64.StdEncoding.DecodeString(string(verificationKey))
	if err != nil {
		return nil, fmt.Errorf("sendgrid verification key %s is not base64; paste the key from SendGrid's Mail Settings > Signed Event Webhook", keyName)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("sendgrid verification key %s is not a DER public key; paste the key from SendGrid's Mail Settings > Signed Event Webhook", keyName)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve.Params().Name != "P-256" {
		return nil, fmt.Errorf("sendgrid verification key %s is not an ECDSA P-256 key", keyName)
	}
	return &SendGrid{key: ec, tolerance: tolerance}, nil
}

// Name implements Provider.
func (*SendGrid) Name() string { return "sendgrid" }

// Events implements Provider: the signature is ECDSA over SHA-256 of the
// timestamp header followed by the raw body.
func (s *SendGrid) Events(r *http.Request, body []byte, now time.Time) ([]Event, int, error) {
	sig, ts := r.Header.Get(SendGridSignatureHeader), r.Header.Get(SendGridTimestampHeader)
	if sig == "" || ts == "" {
		return nil, 0, unauthorized(SendGridSignatureHeader, "signature or timestamp header missing",
			"enable Signed Event Webhook Requests in SendGrid's Mail Settings")
	}
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return nil, 0, unauthorized(SendGridSignatureHeader, "not base64", "send SendGrid's signature unchanged")
	}
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	if !ecdsa.VerifyASN1(s.key, h.Sum(nil), der) {
		return nil, 0, unauthorized(SendGridSignatureHeader, "signature does not verify with the configured verification key",
			"check that the Secret holds this SendGrid account's current verification key")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, 0, unauthorized(SendGridTimestampHeader, "not Unix seconds", "send SendGrid's timestamp unchanged")
	}
	if err := withinTolerance(SendGridTimestampHeader, time.Unix(sec, 0), now, s.tolerance); err != nil {
		return nil, 0, err
	}
	return parseSendGrid(body)
}

// sendGridEvent holds the fields of an Event Webhook event this package reads.
type sendGridEvent struct {
	Email     string `json:"email"`
	Timestamp int64  `json:"timestamp"`
	Event     string `json:"event"`
	// Type tells a bounce ("bounce") from a block ("blocked"): SendGrid
	// calls blocks soft bounces, the receiving server refused this message
	// but may take the next.
	Type      string `json:"type"`
	SGEventID string `json:"sg_event_id"`
}

// parseSendGrid reads the JSON array of events: bounce (type bounce: hard,
// blocked: soft) and spamreport (complaint); every other event is ignored.
func parseSendGrid(body []byte) ([]Event, int, error) {
	if err := checkJSON(body); err != nil {
		return nil, 0, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, 0, badRequest("body", "not a JSON array of events")
	}
	if len(raw) > MaxEvents {
		return nil, 0, tooManyEvents(len(raw))
	}
	var out []Event
	ignored := 0
	for i, m := range raw {
		field := fmt.Sprintf("body[%d]", i)
		var e sendGridEvent
		if err := json.Unmarshal(m, &e); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, 0, badRequest(field+"."+te.Field, "want a JSON %s", te.Type)
			}
			return nil, 0, badRequest(field, "not a JSON object")
		}
		var kind store.FeedbackKind
		switch {
		case e.Event == "spamreport":
			kind = store.FeedbackComplaint
		case e.Event == "bounce" && e.Type == "blocked":
			kind = store.FeedbackSoftBounce
		case e.Event == "bounce":
			kind = store.FeedbackHardBounce
		default:
			ignored++
			continue
		}
		ev := Event{Provider: "sendgrid", EventID: e.SGEventID, Address: e.Email, Kind: kind, At: time.Unix(e.Timestamp, 0).UTC()}
		if err := checkEvent(field, &ev); err != nil {
			return nil, 0, err
		}
		out = append(out, ev)
	}
	return out, ignored, nil
}

func tooManyEvents(n int) *RequestError {
	return &RequestError{Status: http.StatusRequestEntityTooLarge, Field: "body",
		Problem: fmt.Sprintf("%d events, more than %d in one request", n, MaxEvents), Fix: "send smaller batches"}
}
