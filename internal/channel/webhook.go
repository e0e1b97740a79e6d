package channel

import (
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
	"github.com/retention-dev/retention-operator/internal/channel/urlpolicy"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// webhookPayload is the JSON body of a webhook request.
type webhookPayload struct {
	IdempotencyKey string   `json:"idempotency_key"`
	To             string   `json:"to"`
	Subject        string   `json:"subject,omitempty"`
	Body           string   `json:"body"`
	HTML           bool     `json:"html"`
	Metadata       Metadata `json:"metadata"`
	// UnsubscribeURL and PreferencesURL are the message's signed links
	// (package subscription), for the receiver to show next to the message.
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
	PreferencesURL string `json:"preferences_url,omitempty"`
}

// WebhookSender POSTs each message as signed JSON to a URL.
type WebhookSender struct {
	url     string
	secret  []byte
	headers map[string]string
	client  *http.Client
	now     func() time.Time
}

const defaultWebhookTimeout = 10 * time.Second

// NewWebhookSender builds a webhook sender. secret signs the requests and must not be empty.
func NewWebhookSender(cfg senderconfig.WebhookConfig, secret []byte) (*WebhookSender, error) {
	if err := urlpolicy.Validate(cfg.URL, cfg.AllowLoopback); err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, errors.New("webhook: signing secret is empty; set SigningSecretKey to a non-empty secret")
	}
	for k := range cfg.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("webhook: header name %q is not a valid HTTP token", k)
		}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultWebhookTimeout
	}
	perHost := cfg.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = 256
	}
	return &WebhookSender{
		url:     cfg.URL,
		secret:  secret,
		headers: cfg.Headers,
		client: &http.Client{
			Timeout:   timeout,
			Transport: newWebhookTransport(perHost, cfg.AllowLoopback),
			// Redirects are not followed: a 301/302 would turn the POST into a
			// GET and drop the signed body. The 3xx is reported as permanent.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}, nil
}

// newWebhookTransport tunes keep-alive reuse. The default transport keeps only
// 2 idle connections per host, so with more than 2 concurrent senders most
// requests would dial (and on loopback exhaust ephemeral ports in TIME_WAIT).
// Every dial passes urlpolicy.DialGuard, the target policy applied to the resolved
// address.
func newWebhookTransport(perHost int, allowLoopback bool) *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: urlpolicy.DialGuard(allowLoopback)}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          perHost * 4,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Close releases idle keep-alive connections.
func (w *WebhookSender) Close() { w.client.CloseIdleConnections() }

// Send POSTs msg. 2xx is success; 4xx other than 408/429 is permanent; 408,
// 429, 5xx and network errors are transient, with Retry-After carried on the error.
func (w *WebhookSender) Send(ctx context.Context, msg Message) error {
	if msg.IdempotencyKey == "" {
		return permanentf("webhook: message has no IdempotencyKey")
	}
	if msg.To == "" {
		return permanentf("webhook: message %s has no recipient (To)", msg.IdempotencyKey)
	}
	body, err := json.Marshal(webhookPayload{
		IdempotencyKey: msg.IdempotencyKey, To: msg.To, Subject: msg.Subject,
		Body: msg.Body, HTML: msg.HTML, Metadata: msg.Metadata,
	}.withLinks(msg.Unsubscribe))
	if err != nil {
		return &Error{Channel: "webhook", Permanent: true, Err: err}
	}
	wire, err := onTheWire(ctx)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(wire, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return &Error{Channel: "webhook", Permanent: true, Err: err}
	}
	now := w.now()
	h := req.Header
	for k, v := range w.headers {
		h.Set(k, v)
	}
	for k, v := range msg.Headers {
		if !validHeaderName(k) {
			return permanentf("webhook: message header name %q is not a valid HTTP token", k)
		}
		h.Set(k, v)
	}
	// Set last so neither config nor message headers can override them.
	h.Set("Content-Type", "application/json")
	h.Set(IdempotencyHeader, msg.IdempotencyKey)
	h.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	h.Set(SignatureHeader, Sign(w.secret, now, body))

	resp, err := w.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return &Error{Channel: "webhook", Err: err}
	}
	// Drain a bounded amount so the keep-alive connection can be reused.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return classifyHTTP(resp.StatusCode, resp.Header.Get("Retry-After"), snippet, now)
}

// classifyHTTP turns a non-2xx response into a classified Error.
func classifyHTTP(status int, retryAfter string, body []byte, now time.Time) error {
	e := &Error{Channel: "webhook", StatusCode: status,
		Err: fmt.Errorf("receiver answered %d %s", status, http.StatusText(status)), Detail: string(bytes.TrimSpace(body))}
	switch {
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		e.RetryAfter = parseRetryAfter(retryAfter, now)
	case status >= 400 && status < 500:
		e.Permanent = true
	case status >= 500:
		e.RetryAfter = parseRetryAfter(retryAfter, now)
	default:
		// 1xx/3xx: redirects are not followed (see NewWebhookSender), so the
		// URL is misconfigured; retrying will not change that.
		e.Permanent = true
	}
	return e
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// validHeaderName reports whether s is a non-empty RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// withLinks adds the unsubscribe links, when the message has them.
func (p webhookPayload) withLinks(u *Unsubscribe) webhookPayload {
	if u != nil {
		p.UnsubscribeURL, p.PreferencesURL = u.URL, u.PreferencesURL
	}
	return p
}
