package channel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook signature scheme (Stripe-style).
//
// Every webhook request carries
//
//	X-Retention-Timestamp: <t>
//	X-Retention-Signature: t=<t>,v1=<hex(HMAC-SHA256(secret, "<t>.<body>"))>
//
// where <t> is the send time in Unix seconds and <body> is the exact request
// body bytes. A receiver recomputes the HMAC over "<t>.<body>" with the shared
// secret, compares it in constant time with each v1 value (several v1 entries
// may be present while a secret is being rotated) and rejects the request when
// |now - t| > tolerance, which bounds how long a captured request can be
// replayed. VerifySignature implements exactly this check.
const (
	// SignatureHeader holds "t=<unix>,v1=<hex hmac>".
	SignatureHeader = "X-Retention-Signature"
	// TimestampHeader repeats t for receivers that log or route on it.
	TimestampHeader = "X-Retention-Timestamp"
	// IdempotencyHeader carries Message.IdempotencyKey on every webhook request.
	IdempotencyHeader = "Idempotency-Key"
)

// Signature verification errors; compare with errors.Is.
var (
	ErrSignatureMalformed = errors.New("signature header malformed")
	ErrSignatureMismatch  = errors.New("signature does not match body")
	ErrSignatureExpired   = errors.New("signature timestamp outside tolerance")
)

// Sign returns the X-Retention-Signature value for body signed at time t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signatureMAC(secret, ts, body))
}

// signatureMAC computes HMAC-SHA256(secret, ts + "." + body).
func signatureMAC(secret []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifySignature checks an X-Retention-Signature header against body: the
// HMAC must match and the timestamp must be within tolerance of now (a zero
// tolerance disables the age check). Errors wrap ErrSignatureMalformed,
// ErrSignatureMismatch or ErrSignatureExpired.
func VerifySignature(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: element %q is not key=value", ErrSignatureMalformed, part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil {
				return fmt.Errorf("%w: v1 is not hex", ErrSignatureMalformed)
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" {
		return fmt.Errorf("%w: no t= element", ErrSignatureMalformed)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1= element", ErrSignatureMalformed)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: t=%q is not a Unix timestamp", ErrSignatureMalformed, ts)
	}
	want := signatureMAC(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	if tolerance > 0 {
		age := now.Sub(time.Unix(unix, 0))
		if age > tolerance || age < -tolerance {
			return fmt.Errorf("%w: signed %s from now, tolerance %s", ErrSignatureExpired, age, tolerance)
		}
	}
	return nil
}
