package channel

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	mail "github.com/wneessen/go-mail"
)

// IdempotencyMailHeader carries Message.IdempotencyKey in every mail.
const IdempotencyMailHeader = "X-Retention-Idempotency-Key"

// SMTPSender sends each message as one mail over its own SMTP connection.
type SMTPSender struct {
	client   *mail.Client
	from     string
	idDomain string
}

// SMTPCredentials are the resolved AUTH credentials; empty Username means no AUTH.
type SMTPCredentials struct {
	Username, Password string
	// CAPEM, if non-empty, replaces the system roots for verifying the server.
	CAPEM []byte
}

// NewSMTPSender builds an SMTP sender. Errors name the field to fix and never
// include credential values.
func NewSMTPSender(cfg senderconfig.SMTPConfig, cred SMTPCredentials) (*SMTPSender, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: Host is empty")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: From %q is not a valid address: %v", cfg.From, err)
	}
	idDomain := cfg.MessageIDDomain
	if idDomain == "" {
		idDomain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	mode := cfg.TLS
	if mode == "" {
		mode = senderconfig.TLSStartTLS
	}
	port := cfg.Port
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if len(cred.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cred.CAPEM) {
			return nil, fmt.Errorf("smtp: CA secret %q holds no PEM certificate", cfg.CAKey)
		}
		tlsCfg.RootCAs = pool
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithTLSConfig(tlsCfg)}
	switch mode {
	case senderconfig.TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		if port == 0 {
			port = 25
		}
	case senderconfig.TLSStartTLS:
		policy := mail.TLSMandatory
		if cfg.Opportunistic {
			policy = mail.TLSOpportunistic
		}
		opts = append(opts, mail.WithTLSPolicy(policy))
		if port == 0 {
			port = 587
		}
	case senderconfig.TLSImplicit:
		opts = append(opts, mail.WithSSL())
		if port == 0 {
			port = 465
		}
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q is not one of none, starttls, tls", cfg.TLS)
	}
	opts = append(opts, mail.WithPort(port))
	if cred.Username != "" {
		mech := mail.SMTPAuthPlain
		if cfg.AuthMechanism != "" {
			if err := mech.UnmarshalString(cfg.AuthMechanism); err != nil {
				return nil, fmt.Errorf("smtp: AuthMechanism %q: %v", cfg.AuthMechanism, err)
			}
		}
		if mode == senderconfig.TLSNone {
			if !cfg.AllowInsecureAuth {
				return nil, errors.New("smtp: credentials with TLS=none would send the password in clear text; use starttls/tls or set AllowInsecureAuth")
			}
			if mech == mail.SMTPAuthPlain {
				mech = mail.SMTPAuthPlainNoEnc
			}
		}
		opts = append(opts, mail.WithSMTPAuth(mech), mail.WithUsername(cred.Username), mail.WithPassword(cred.Password))
	}
	client, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: client for %s:%d: %w", cfg.Host, port, err)
	}
	return &SMTPSender{client: client, from: cfg.From, idDomain: idDomain}, nil
}

// MessageID returns the Message-ID (without angle brackets) for an idempotency
// key: "<hex(SHA-256(key))[:32]>@<domain>". It is a pure function of the key, so
// a resend after a crash carries the same Message-ID and mail systems that
// de-duplicate on it drop the copy. Hashing keeps internal ids out of headers.
func MessageID(idempotencyKey, domain string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// reservedMailHeaders are set by the sender and may not be overridden by Message.Headers.
var reservedMailHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true, "Date": true,
	"Message-Id": true, "Mime-Version": true, "Content-Type": true,
	"Content-Transfer-Encoding": true, textproto.CanonicalMIMEHeaderKey(IdempotencyMailHeader): true,
	ListUnsubscribeHeader: true, ListUnsubscribePostHeader: true,
}

// buildMsg renders msg into a go-mail Msg; any error here is permanent.
func (s *SMTPSender) buildMsg(msg Message) (*mail.Msg, error) {
	if msg.IdempotencyKey == "" {
		return nil, permanentf("smtp: message has no IdempotencyKey")
	}
	if _, err := netmail.ParseAddress(msg.To); err != nil {
		return nil, permanentf("smtp: message %s: recipient is not a valid e-mail address", msg.IdempotencyKey)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return nil, permanentf("smtp: message %s: subject contains a line break", msg.IdempotencyKey)
	}
	m := mail.NewMsg()
	if err := m.From(s.from); err != nil {
		return nil, permanentf("smtp: From: %v", err)
	}
	if err := m.To(msg.To); err != nil {
		return nil, permanentf("smtp: message %s: recipient rejected: %v", msg.IdempotencyKey, err)
	}
	m.Subject(msg.Subject)
	m.SetMessageIDWithValue(MessageID(msg.IdempotencyKey, s.idDomain))
	m.SetDate()
	for k, v := range msg.Headers {
		canon := textproto.CanonicalMIMEHeaderKey(k)
		if !validHeaderName(k) || reservedMailHeaders[canon] {
			return nil, permanentf("smtp: message %s: header %q is invalid or reserved", msg.IdempotencyKey, k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, permanentf("smtp: message %s: header %q value contains a line break", msg.IdempotencyKey, k)
		}
		m.SetGenHeader(mail.Header(canon), v)
	}
	for k, v := range msg.Unsubscribe.mailHeaders() {
		if strings.ContainsAny(v, "\r\n") {
			return nil, permanentf("smtp: message %s: %s contains a line break", msg.IdempotencyKey, k)
		}
		m.SetGenHeader(mail.Header(k), v)
	}
	m.SetGenHeader(mail.Header(IdempotencyMailHeader), msg.IdempotencyKey)
	ct := mail.TypeTextPlain
	if msg.HTML {
		ct = mail.TypeTextHTML
	}
	m.SetBodyString(ct, msg.Body)
	return m, nil
}

// Send delivers msg over a fresh SMTP connection. SMTP 5xx replies and invalid
// addresses are permanent; 4xx replies and network failures are transient.
func (s *SMTPSender) Send(ctx context.Context, msg Message) error {
	m, err := s.buildMsg(msg)
	if err != nil {
		return err
	}
	wire, err := onTheWire(ctx)
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(wire, m); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// classifySMTP maps a go-mail error to a classified Error by its SMTP reply
// code. go-mail's message lists the affected recipients and the server's reply
// text (which often repeats the address), so the Error text is rebuilt from the
// phase and codes only; the full text goes to Detail.
func classifySMTP(err error) error {
	e := &Error{Channel: "smtp", Detail: err.Error()}
	phase := "connection or AUTH failed"
	enhanced := ""
	var se *mail.SendError
	var tp *textproto.Error
	switch {
	case errors.As(err, &se):
		phase = se.Reason.String() + " failed"
		e.StatusCode = se.ErrorCode()
		enhanced = se.EnhancedStatusCode()
	case errors.As(err, &tp):
		e.StatusCode = tp.Code
	}
	if se == nil && tp == nil {
		// Network-level failure (dial, TLS, timeout): no server text, safe to show.
		e.Err = err
	} else {
		text := fmt.Sprintf("%s: reply %d", phase, e.StatusCode)
		if enhanced != "" {
			text += " (" + enhanced + ")"
		}
		e.Err = &redactedError{text: text, cause: err}
	}
	switch {
	case e.StatusCode >= 500:
		e.Permanent = true
	case e.StatusCode >= 400:
		e.Permanent = false
	case se != nil && (se.Reason == mail.ErrGetSender || se.Reason == mail.ErrGetRcpts):
		e.Permanent = true // the message's addresses are unusable
	}
	return e
}
