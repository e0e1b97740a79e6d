// Package senderconfig holds a Channel's sender configuration as plain data:
// what the Channel controller renders into a campaign worker's spec and what
// channel.New builds a sender from. It imports no mail library or network
// code, so the manager can render it; package channel, which needs go-mail,
// takes these types as they are (one name for each).
package senderconfig

import (
	"io"
	"time"
)

// Type names a channel kind.
type Type string

const (
	TypeWebhook Type = "webhook"
	TypeSMTP    Type = "smtp"
	TypeConsole Type = "console"
)

// Config describes one channel; the operator maps the Channel resource into it.
// Exactly the section matching Type is used.
type Config struct {
	Type    Type
	Webhook WebhookConfig
	SMTP    SMTPConfig
	// Console writes to ConsoleOutput, default os.Stdout.
	ConsoleOutput io.Writer `json:"-"`
	// RateLimit holds sends to PerSecond (burst Burst); PerSecond 0 = unlimited.
	RateLimit RateLimit
	// Retry is the retry policy; a zero policy means DefaultRetryPolicy and
	// MaxAttempts 1 disables retries.
	Retry RetryPolicy
}

// RateLimit is a token-bucket rate.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// WebhookConfig configures the webhook sender.
type WebhookConfig struct {
	// URL receives one POST per message. http or https.
	URL string
	// SigningSecretKey names the secret (in the SecretSource) used to sign requests.
	SigningSecretKey string
	// Headers are added to every request (e.g. an API gateway key).
	Headers map[string]string
	// Timeout bounds one request including reading the response. Default 10s.
	Timeout time.Duration
	// MaxIdleConnsPerHost is how many keep-alive connections to keep per host.
	// Default 256: enough for thousands of concurrent senders without redialing.
	MaxIdleConnsPerHost int
	// AllowLoopback lets URL target a loopback address (127.0.0.0/8, ::1,
	// localhost); see urlpolicy.Validate for what is refused regardless.
	AllowLoopback bool
}

// TLSMode selects how the SMTP connection is encrypted.
type TLSMode string

const (
	// TLSNone sends in clear text (local relays and test servers only).
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades a plain connection with STARTTLS (usually port 587).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit TLSMode = "tls"
)

// SMTPConfig configures the SMTP sender. Credentials are named, not held:
// UsernameKey and PasswordKey are keys in the SecretSource.
type SMTPConfig struct {
	Host string
	// Port defaults to 25 (none), 587 (starttls) or 465 (tls).
	Port int
	// From is the sender address, e.g. "Shop <news@shop.example>".
	From string
	// UsernameKey and PasswordKey name secrets; both empty means no AUTH.
	UsernameKey string
	PasswordKey string
	// TLS is none, starttls or tls. Default starttls.
	TLS TLSMode
	// Opportunistic, with TLS=starttls, continues in clear text when the server
	// does not offer STARTTLS. Default false: STARTTLS is mandatory.
	Opportunistic bool
	// CAKey optionally names a secret holding PEM CA certificates to trust
	// instead of the system roots (private relays, self-signed test servers).
	CAKey string
	// AllowInsecureAuth permits sending credentials over an unencrypted
	// connection (TLS=none). Off by default so a password never crosses the
	// network in clear text by accident.
	AllowInsecureAuth bool
	// AuthMechanism is PLAIN (default), LOGIN, CRAM-MD5 or another go-mail SMTPAuthType.
	AuthMechanism string
	// MessageIDDomain is the right-hand side of generated Message-IDs; default
	// the domain of From.
	MessageIDDomain string
	// Timeout bounds dialing and each SMTP command. Default 30s.
	Timeout time.Duration
}

// RetryPolicy bounds retries of transient errors.
//
// Backoff is exponential with full jitter: before attempt n+1 (n >= 1 failed
// attempts) the sender sleeps
//
//	d = uniform[0, min(MaxBackoff, InitialBackoff * 2^(n-1)))
//	d = max(d, RetryAfter)   when the receiver sent Retry-After
//
// Full jitter spreads retries of many workers hit by the same outage so they
// do not return in lock-step. Retrying stops after MaxAttempts attempts, or
// when the next sleep would end beyond MaxElapsed since the first attempt.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 1 disables retries. Default 5.
	MaxAttempts int
	// InitialBackoff is the backoff cap before the second attempt. Default 200ms.
	InitialBackoff time.Duration
	// MaxBackoff caps a single backoff. Default 30s.
	MaxBackoff time.Duration
	// MaxElapsed caps total time across attempts and sleeps. 0 means no cap.
	MaxElapsed time.Duration
}

// DefaultRetryPolicy is 5 attempts, 200ms..30s backoff, 2 minutes in total.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, InitialBackoff: 200 * time.Millisecond, MaxBackoff: 30 * time.Second, MaxElapsed: 2 * time.Minute}
