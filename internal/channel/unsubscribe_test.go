package channel

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// A webhook message with links carries them in its signed JSON payload.
func TestWebhookPayloadCarriesUnsubscribeLinks(t *testing.T) {
	rcv := newWebhookReceiver(t)
	w := rcv.sender(t)
	msg := testMessage()
	msg.Unsubscribe = &Unsubscribe{URL: "https://p.example/unsubscribe/v1.a.b", PreferencesURL: "https://p.example/preferences/v1.a.b",
		Mailto: "mailto:u@p.example"}
	if err := w.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(rcv.requests()[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p["unsubscribe_url"] != msg.Unsubscribe.URL || p["preferences_url"] != msg.Unsubscribe.PreferencesURL {
		t.Fatalf("payload links = %v, %v", p["unsubscribe_url"], p["preferences_url"])
	}
}

// Mail headers: the HTTPS link first, then the mailto; none without a URL
// (transactional topics); a message cannot set them through Headers.
func TestListUnsubscribeMailHeaders(t *testing.T) {
	h := (&Unsubscribe{URL: "https://p.example/unsubscribe/T", Mailto: "mailto:u@p.example?subject=unsubscribe%20T"}).mailHeaders()
	if h[ListUnsubscribeHeader] != "<https://p.example/unsubscribe/T>, <mailto:u@p.example?subject=unsubscribe%20T>" ||
		h[ListUnsubscribePostHeader] != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers = %v", h)
	}
	if h := (&Unsubscribe{PreferencesURL: "https://p.example/preferences/T"}).mailHeaders(); h != nil {
		t.Fatalf("transactional message got headers %v", h)
	}
	s, err := NewSMTPSender(senderconfig.SMTPConfig{Host: "127.0.0.1", From: "a@b.example", TLS: senderconfig.TLSNone}, SMTPCredentials{})
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{IdempotencyKey: "k", To: "c@d.example", Headers: map[string]string{"List-Unsubscribe": "<https://evil.example>"}}
	if _, err := s.buildMsg(msg); !IsPermanent(err) {
		t.Fatalf("a template-set List-Unsubscribe was accepted: %v", err)
	}
}
