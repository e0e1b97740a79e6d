package channel

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// parseMail parses raw RFC 5322 data and decodes the (quoted-printable) body.
func parseMail(t *testing.T, data []byte) (*netmail.Message, string) {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("server received unparsable mail: %v\n%s", err, data)
	}
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(m.Body)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return m, string(body)
}

func TestSMTPSendReachesLoopbackServer(t *testing.T) {
	cert := newTestCert(t)
	tests := []struct {
		name        string
		mode        senderconfig.TLSMode
		implicitTLS bool
		auth        bool
		html        bool
		wantCT      string
	}{
		{name: "starttls with PLAIN auth, text", mode: senderconfig.TLSStartTLS, auth: true, wantCT: "text/plain; charset=UTF-8"},
		{name: "implicit tls with PLAIN auth, html", mode: senderconfig.TLSImplicit, implicitTLS: true, auth: true, html: true, wantCT: "text/html; charset=UTF-8"},
		{name: "no tls, no auth, text", mode: senderconfig.TLSNone, wantCT: "text/plain; charset=UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := &recordingBackend{}
			var c *testCert
			if tc.mode != senderconfig.TLSNone {
				c = &cert
			}
			if tc.auth {
				be.user, be.pass = "mailer", "s3cret-pass"
			}
			port := startSMTPServer(t, be, c, tc.implicitTLS)
			secrets := writeSecrets(t, map[string][]byte{
				"smtp-user": []byte("mailer\n"), "smtp-pass": []byte("s3cret-pass\n"), "smtp-ca": cert.pemCA,
			})
			cfg := senderconfig.Config{Type: senderconfig.TypeSMTP, Retry: senderconfig.RetryPolicy{MaxAttempts: 1}, SMTP: senderconfig.SMTPConfig{
				Host: "127.0.0.1", Port: port, From: "Shop <news@shop.example>", TLS: tc.mode,
				CAKey: "smtp-ca", Timeout: 5 * time.Second,
			}}
			if tc.auth {
				cfg.SMTP.UsernameKey, cfg.SMTP.PasswordKey = "smtp-user", "smtp-pass"
			}
			s, err := New(cfg, secrets)
			if err != nil {
				t.Fatal(err)
			}
			body := "Hello Jane, we miss you. Come back for 10% off."
			if tc.html {
				body = "<p>Hello Jane, <b>we miss you</b>.</p>"
			}
			msg := Message{
				IdempotencyKey: "winback/step-1/cust-42", To: "jane@example.com", Subject: "We miss you",
				Body: body, HTML: tc.html, Headers: map[string]string{"X-Campaign": "winback"},
				Metadata: Metadata{Playbook: "winback", Step: "step-1", CustomerID: "cust-42"},
			}
			if err := s.Send(context.Background(), msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := be.received()
			if len(got) != 1 {
				t.Fatalf("server received %d mails, want 1", len(got))
			}
			rm := got[0]
			if rm.From != "news@shop.example" || len(rm.To) != 1 || rm.To[0] != "jane@example.com" {
				t.Errorf("envelope from=%q to=%q, want news@shop.example -> [jane@example.com]", rm.From, rm.To)
			}
			if rm.TLS != (tc.mode != senderconfig.TLSNone) {
				t.Errorf("TLS on connection = %v, want %v", rm.TLS, tc.mode != senderconfig.TLSNone)
			}
			if tc.auth && (rm.AuthUser != "mailer" || rm.AuthPass != "s3cret-pass") {
				t.Errorf("AUTH user=%q pass=%q, want mailer/s3cret-pass (trailing newline of secret file stripped)", rm.AuthUser, rm.AuthPass)
			}
			m, gotBody := parseMail(t, rm.Data)
			wantHeaders := map[string]string{
				"From":                        `"Shop" <news@shop.example>`,
				"To":                          "<jane@example.com>",
				"Subject":                     "We miss you",
				"Message-Id":                  "<" + MessageID("winback/step-1/cust-42", "shop.example") + ">",
				"Content-Type":                tc.wantCT,
				"X-Retention-Idempotency-Key": "winback/step-1/cust-42",
				"X-Campaign":                  "winback",
			}
			for k, want := range wantHeaders {
				if g := m.Header.Get(k); g != want {
					t.Errorf("header %s = %q, want %q", k, g, want)
				}
			}
			if strings.TrimRight(gotBody, "\r\n") != body {
				t.Errorf("body = %q, want %q", gotBody, body)
			}
			if !bytesContain(rm.Data, "\r\nMIME-Version: 1.0\r\n") {
				t.Errorf("mail has no MIME-Version header:\n%s", rm.Data)
			}
		})
	}
}

// plainSMTP is a sender from news@shop.example to a local server without
// TLS or auth, and the backend that records what it receives.
func plainSMTP(t *testing.T) (*recordingBackend, *SMTPSender) {
	t.Helper()
	be := &recordingBackend{}
	port := startSMTPServer(t, be, nil, false)
	s, err := NewSMTPSender(senderconfig.SMTPConfig{Host: "127.0.0.1", Port: port, From: "news@shop.example", TLS: senderconfig.TLSNone}, SMTPCredentials{})
	if err != nil {
		t.Fatal(err)
	}
	return be, s
}

func TestMessageIDIsStableAcrossResends(t *testing.T) {
	be, s := plainSMTP(t)
	msg := Message{IdempotencyKey: "k-1", To: "a@example.com", Subject: "s", Body: "b"}
	other := Message{IdempotencyKey: "k-2", To: "a@example.com", Subject: "s", Body: "b"}
	for _, m := range []Message{msg, msg, other} {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := be.received()
	if len(got) != 3 {
		t.Fatalf("received %d mails, want 3", len(got))
	}
	var ids []string
	for _, rm := range got {
		m, _ := parseMail(t, rm.Data)
		ids = append(ids, m.Header.Get("Message-Id"))
	}
	// MessageID's value itself is checked against a hand-computed hash in TestMessageIDValue.
	if want := "<" + MessageID("k-1", "shop.example") + ">"; ids[0] != want || ids[1] != want {
		t.Errorf("resend Message-IDs %q, %q, want both %q", ids[0], ids[1], want)
	}
	if ids[2] == ids[0] {
		t.Errorf("different keys got the same Message-ID %q", ids[2])
	}
}

func TestMessageIDValue(t *testing.T) {
	// Hand-checked: printf 'abc' | sha256sum = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
	if got, want := MessageID("abc", "shop.example"), "ba7816bf8f01cfea414140de5dae2223@shop.example"; got != want {
		t.Errorf("MessageID = %q, want %q", got, want)
	}
}

func TestSMTPErrorClassification(t *testing.T) {
	cert := newTestCert(t)
	tests := []struct {
		name          string
		rcptErr       error
		serverPass    string
		to            string
		wantPermanent bool
		wantStatus    int
		connects      bool
	}{
		{name: "550 mailbox unavailable is permanent", rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
			to: "gone@example.com", wantPermanent: true, wantStatus: 550, connects: true},
		{name: "451 try later is transient", rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"},
			to: "busy@example.com", wantPermanent: false, wantStatus: 451, connects: true},
		{name: "wrong password 535 is permanent", serverPass: "other-pass", to: "a@example.com", wantPermanent: true, wantStatus: 535, connects: true},
		{name: "invalid address is permanent without connecting", to: "not-an-address", wantPermanent: true, connects: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := &recordingBackend{user: "mailer", pass: "s3cret-pass", rcptErr: tc.rcptErr}
			if tc.serverPass != "" {
				be.pass = tc.serverPass
			}
			port := startSMTPServer(t, be, &cert, false)
			s, err := NewSMTPSender(senderconfig.SMTPConfig{Host: "127.0.0.1", Port: port, From: "news@shop.example", TLS: senderconfig.TLSStartTLS, Timeout: 5 * time.Second},
				SMTPCredentials{Username: "mailer", Password: "s3cret-pass", CAPEM: cert.pemCA})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), Message{IdempotencyKey: "k", To: tc.to, Subject: "s", Body: "b"})
			if err == nil {
				t.Fatal("Send succeeded, want error")
			}
			if IsPermanent(err) != tc.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v (err: %v)", IsPermanent(err), tc.wantPermanent, err)
			}
			var ce *Error
			if tc.wantStatus != 0 && (!asError(err, &ce) || ce.StatusCode != tc.wantStatus) {
				t.Errorf("status = %v, want %d (err: %v)", ce, tc.wantStatus, err)
			}
			t.Logf("err text: %v", err)
			if strings.Contains(err.Error(), tc.to) && tc.to != "not-an-address" {
				t.Errorf("error text names the recipient: %v", err)
			}
			if strings.Contains(err.Error(), "s3cret-pass") {
				t.Errorf("error echoes the password: %v", err)
			}
			be.mu.Lock()
			sessions := be.sessions
			be.mu.Unlock()
			// go-smtp opens a new session after STARTTLS, so count only "any".
			if (sessions > 0) != tc.connects {
				t.Errorf("server sessions = %d, want connected=%v", sessions, tc.connects)
			}
		})
	}
}

func TestSMTPConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     senderconfig.SMTPConfig
		cred    SMTPCredentials
		wantErr string
	}{
		{name: "password over clear text refused", cfg: senderconfig.SMTPConfig{Host: "h", From: "a@b.c", TLS: senderconfig.TLSNone},
			cred: SMTPCredentials{Username: "u", Password: "topsecret"}, wantErr: "clear text"},
		{name: "bad tls mode", cfg: senderconfig.SMTPConfig{Host: "h", From: "a@b.c", TLS: "ssl3"}, wantErr: `TLS mode "ssl3"`},
		{name: "bad from", cfg: senderconfig.SMTPConfig{Host: "h", From: "nobody"}, wantErr: "From"},
		{name: "no host", cfg: senderconfig.SMTPConfig{From: "a@b.c"}, wantErr: "Host is empty"},
		{name: "CA not PEM", cfg: senderconfig.SMTPConfig{Host: "h", From: "a@b.c", CAKey: "ca"}, cred: SMTPCredentials{CAPEM: []byte("junk")}, wantErr: `CA secret "ca"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSMTPSender(tc.cfg, tc.cred)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Errorf("error echoes the password: %v", err)
			}
		})
	}
}

func TestSMTPConcurrentSends(t *testing.T) {
	be, s := plainSMTP(t)
	const n = 8
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			errs <- s.Send(context.Background(), Message{IdempotencyKey: "k-" + string(rune('a'+i)), To: "a@example.com", Subject: "s", Body: "b"})
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	got := be.received()
	ids := map[string]bool{}
	for _, rm := range got {
		m, _ := parseMail(t, rm.Data)
		ids[m.Header.Get("X-Retention-Idempotency-Key")] = true
	}
	if len(got) != n || len(ids) != n {
		t.Errorf("received %d mails with %d distinct keys, want %d and %d", len(got), len(ids), n, n)
	}
}

func TestSMTPStartTLSPolicy(t *testing.T) {
	tests := []struct {
		name          string
		opportunistic bool
		wantErr       bool
	}{
		{name: "mandatory refuses a server without STARTTLS", wantErr: true},
		{name: "opportunistic falls back to clear text", opportunistic: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := &recordingBackend{}
			port := startSMTPServer(t, be, nil, false) // no certificate: STARTTLS not offered
			s, err := NewSMTPSender(senderconfig.SMTPConfig{Host: "127.0.0.1", Port: port, From: "news@shop.example", TLS: senderconfig.TLSStartTLS,
				Opportunistic: tc.opportunistic, Timeout: 5 * time.Second}, SMTPCredentials{})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), Message{IdempotencyKey: "k", To: "a@example.com", Subject: "s", Body: "b"})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			got := be.received()
			if tc.wantErr && len(got) != 0 {
				t.Errorf("mail delivered in clear text despite mandatory STARTTLS")
			}
			if !tc.wantErr && (len(got) != 1 || got[0].TLS) {
				t.Errorf("received %d mails (TLS=%v), want 1 in clear text", len(got), len(got) == 1 && got[0].TLS)
			}
		})
	}
}
