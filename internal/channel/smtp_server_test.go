package channel

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
)

// receivedMail is one message as the loopback SMTP server saw it.
type receivedMail struct {
	From     string
	To       []string
	Data     []byte
	AuthUser string
	AuthPass string
	TLS      bool
}

// recordingBackend is a go-smtp backend that stores every message it accepts.
// rcptErr, if set, is returned for RCPT TO to simulate a rejecting server.
type recordingBackend struct {
	mu       sync.Mutex
	mails    []receivedMail
	user     string
	pass     string
	rcptErr  error
	sessions int
}

func (b *recordingBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	return &recordingSession{b: b, conn: c, cur: receivedMail{TLS: isTLS}}, nil
}

func (b *recordingBackend) received() []receivedMail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]receivedMail(nil), b.mails...)
}

type recordingSession struct {
	b    *recordingBackend
	conn *smtp.Conn
	cur  receivedMail
}

func (s *recordingSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *recordingSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.b.user || password != s.b.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.cur.AuthUser, s.cur.AuthPass = username, password
		return nil
	}), nil
}

func (s *recordingSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.cur.AuthUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "auth required"}
	}
	// STARTTLS happens after NewSession, so read the TLS state per message.
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.cur.From = from
	return nil
}

func (s *recordingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.rcptErr != nil {
		return s.b.rcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *recordingSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *recordingSession) Reset() {
	s.cur = receivedMail{AuthUser: s.cur.AuthUser, AuthPass: s.cur.AuthPass, TLS: s.cur.TLS}
}
func (s *recordingSession) Logout() error { return nil }

// testCert is a self-signed certificate for 127.0.0.1, generated per test run.
type testCert struct {
	tls   tls.Certificate
	pemCA []byte
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "retention-test-smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{
		tls:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pemCA: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
}

// startSMTPServer serves be on a loopback port. implicitTLS wraps the listener
// in TLS; otherwise cert (if non-nil) enables STARTTLS.
func startSMTPServer(t *testing.T, be *recordingBackend, cert *testCert, implicitTLS bool) int {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = false
	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.tls}}
		if implicitTLS {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Logf("smtp server: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// writeSecrets writes key->value files into a fresh directory (a mounted Secret).
func writeSecrets(t *testing.T, kv map[string][]byte) DirSecrets {
	t.Helper()
	dir := t.TempDir()
	for k, v := range kv {
		if err := os.WriteFile(filepath.Join(dir, k), v, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return DirSecrets(dir)
}

// bytesContain is bytes.Contains with a string needle, for readable asserts.
func bytesContain(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
