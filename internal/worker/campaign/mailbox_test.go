package campaign

import (
	"bytes"
	"errors"
	"io"
	"net"
	netmail "net/mail"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// mailbox is a real SMTP server on loopback (go-smtp) that keeps every mail
// it accepts and the envelope recipients it was sent to.
type mailbox struct {
	mu    sync.Mutex
	mails []*netmail.Message
	raw   [][]byte
	rcp   []string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{m: m}, nil }

type mailboxSession struct {
	m  *mailbox
	to []string
}

func (s *mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailboxSession) Reset()        { s.to = nil }
func (s *mailboxSession) Logout() error { return nil }
func (s *mailboxSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.mails, s.m.raw = append(s.m.mails, msg), append(s.m.raw, raw)
	s.m.rcp = append(s.m.rcp, s.to...)
	s.m.mu.Unlock()
	return nil
}

// received returns the mails so far by their To header.
func (m *mailbox) received() map[string][]*netmail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]*netmail.Message{}
	for _, msg := range m.mails {
		out[msg.Header.Get("To")] = append(out[msg.Header.Get("To")], msg)
	}
	return out
}

// recipients returns the envelope recipients so far, sorted.
func (m *mailbox) recipients() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]string(nil), m.rcp...)
	sort.Strings(out)
	return out
}

// startMailbox serves a mailbox on a loopback port.
func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	m := &mailbox{}
	srv := smtp.NewServer(m)
	srv.Domain, srv.ReadTimeout, srv.WriteTimeout = "127.0.0.1", 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Logf("smtp server: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return m, l.Addr().(*net.TCPAddr).Port
}

// startMailboxSender is startMailbox with the channel package's real SMTP
// sender delivering to it.
func startMailboxSender(t *testing.T) (*mailbox, channel.Sender) {
	t.Helper()
	mb, port := startMailbox(t)
	s, err := channel.New(senderconfig.Config{Type: senderconfig.TypeSMTP, Retry: senderconfig.RetryPolicy{MaxAttempts: 1},
		SMTP: senderconfig.SMTPConfig{Host: "127.0.0.1", Port: port, From: "Shop <news@shop.example>",
			TLS: senderconfig.TLSNone, Timeout: 5 * time.Second}}, channel.DirSecrets(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return mb, s
}
