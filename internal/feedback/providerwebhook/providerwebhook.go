// Package providerwebhook builds email providers' bounce and complaint
// webhook requests, signed the way each provider signs them: what
// `retentionctl feedback send` posts to a Channel's feedback endpoint to try
// it, and what the tests post to feedback.Handler over real HTTP.
package providerwebhook

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// SendGridKey is a SendGrid signing key pair: Private signs, Public is the
// verification key as SendGrid's Mail Settings show it (base64 DER).
type SendGridKey struct {
	Private *ecdsa.PrivateKey
	Public  []byte
}

// NewSendGridKey generates a P-256 key pair, as SendGrid does when signing
// is enabled.
func NewSendGridKey() (SendGridKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return SendGridKey{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return SendGridKey{}, err
	}
	return SendGridKey{Private: priv, Public: []byte(base64.StdEncoding.EncodeToString(der))}, nil
}

// SendGridSigningKeySecret is the file (Secret key) holding a SendGridKey's
// private half as PEM, beside the verification key the feedback server reads.
const SendGridSigningKeySecret = "sendgrid-signing-key"

// EncodePrivate is the key's private half as PKCS#8 PEM.
func (k SendGridKey) EncodePrivate() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseSendGridKey reads a private key EncodePrivate wrote.
func ParseSendGridKey(pemBytes []byte) (SendGridKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return SendGridKey{}, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return SendGridKey{}, errors.New("not a PKCS#8 private key")
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return SendGridKey{}, errors.New("not an ECDSA P-256 private key")
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return SendGridKey{}, err
	}
	return SendGridKey{Private: priv, Public: []byte(base64.StdEncoding.EncodeToString(der))}, nil
}

// SendGridEvent is one Event Webhook event (the fields SendGrid documents
// for bounce, blocked and spamreport events).
type SendGridEvent struct {
	Email     string `json:"email"`
	Timestamp int64  `json:"timestamp"`
	Event     string `json:"event"`
	Type      string `json:"type,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Status    string `json:"status,omitempty"`
	SGEventID string `json:"sg_event_id"`
	SGMessage string `json:"sg_message_id"`
}

// SendGridRequest is a POST of events to url signed with key at ts.
func SendGridRequest(url string, key SendGridKey, ts time.Time, events ...SendGridEvent) (*http.Request, error) {
	body, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}
	return SignedSendGridRequest(url, key, strconv.FormatInt(ts.Unix(), 10), body)
}

// SignedSendGridRequest signs body as SendGrid does: ECDSA over SHA-256 of
// the timestamp followed by the raw body, base64 of the ASN.1 signature.
func SignedSendGridRequest(url string, key SendGridKey, ts string, body []byte) (*http.Request, error) {
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key.Private, h[:])
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig))
	req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", ts)
	return req, nil
}

// MailgunEvent is the event-data of a Mailgun webhook.
type MailgunEvent struct {
	Event     string  `json:"event"`
	Severity  string  `json:"severity,omitempty"`
	Reason    string  `json:"reason,omitempty"`
	Recipient string  `json:"recipient"`
	Timestamp float64 `json:"timestamp"`
	ID        string  `json:"id"`
	LogLevel  string  `json:"log-level,omitempty"`
}

// MailgunBody is a webhook body signed as Mailgun does: signature is the
// hex HMAC-SHA256 of timestamp+token keyed with the signing key.
func MailgunBody(signingKey []byte, ts time.Time, token string, ev MailgunEvent) ([]byte, error) {
	tss := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte(tss + token))
	return json.Marshal(map[string]any{
		"signature":  map[string]string{"timestamp": tss, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))},
		"event-data": ev,
	})
}

// PostmarkBounce is a Postmark bounce or spam-complaint webhook record.
type PostmarkBounce struct {
	RecordType    string `json:"RecordType"`
	ID            int64  `json:"ID"`
	Type          string `json:"Type"`
	TypeCode      int    `json:"TypeCode"`
	Name          string `json:"Name,omitempty"`
	MessageID     string `json:"MessageID,omitempty"`
	MessageStream string `json:"MessageStream,omitempty"`
	Email         string `json:"Email"`
	From          string `json:"From,omitempty"`
	BouncedAt     string `json:"BouncedAt"`
	Inactive      bool   `json:"Inactive"`
	CanActivate   bool   `json:"CanActivate"`
}

// Post sends req and returns the status and body of the answer.
func Post(req *http.Request) (int, string, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), err
}
