package subscription

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Subject is what one link may change: one customer's subscription to one
// topic on one kind of channel.
type Subject struct {
	CustomerID  string
	ChannelKind string
	Topic       string
}

// linkVersion prefixes every token, so a later format can be told apart.
const linkVersion = "v1"

// MaxTokenLength bounds what Parse reads: a customer id of up to 1 KiB with
// its kind, topic and signature fits well inside.
const MaxTokenLength = 2048

// minKeyLength is the shortest signing key accepted: HMAC-SHA256 keys
// shorter than the hash add no strength and suggest a placeholder.
const minKeyLength = 32

// ErrBadLink is returned for any token that is malformed or not signed by
// the key; callers answer 4xx and change nothing.
var ErrBadLink = errors.New("the link is not valid: it was altered, cut short or signed with another key")

// KeyError says the signing key is unusable; it names the field to fix and
// never holds the key.
type KeyError struct{ Length int }

func (e *KeyError) Error() string {
	return fmt.Sprintf("spec.preferences.signingKeyRef: the key has %d bytes; use at least %d random bytes (e.g. openssl rand -hex 32)", e.Length, minKeyLength)
}

// Signer makes and checks link tokens with one key.
type Signer struct{ key []byte }

// NewSigner returns a Signer; the key must have at least 32 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < minKeyLength {
		return nil, &KeyError{Length: len(key)}
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Token is "v1.<payload>.<mac>", both base64url without padding; the
// payload is kind NUL topic NUL customer id, and the MAC covers the version
// and the payload, so changing any of the three invalidates it.
func (s *Signer) Token(sub Subject) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(sub.ChannelKind + "\x00" + sub.Topic + "\x00" + sub.CustomerID))
	return linkVersion + "." + payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// Parse checks a token's signature and returns what it names.
func (s *Signer) Parse(token string) (Subject, error) {
	if len(token) > MaxTokenLength {
		return Subject{}, ErrBadLink
	}
	version, rest, ok := strings.Cut(token, ".")
	if !ok || version != linkVersion {
		return Subject{}, ErrBadLink
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return Subject{}, ErrBadLink
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return Subject{}, ErrBadLink
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Subject{}, ErrBadLink
	}
	parts := strings.SplitN(string(raw), "\x00", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Subject{}, ErrBadLink
	}
	return Subject{ChannelKind: parts[0], Topic: parts[1], CustomerID: parts[2]}, nil
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(linkVersion + "." + payload))
	return m.Sum(nil)
}
