package channel

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// capturedRequest is one webhook request as the loopback receiver saw it.
type capturedRequest struct {
	Header http.Header
	Body   []byte
}

// webhookReceiver is an httptest server that records requests and answers
// with the statuses in script, in order (then 200 for the rest).
type webhookReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	reqs     []capturedRequest
	script   []func(w http.ResponseWriter)
	newConns atomic.Int64
}

func newWebhookReceiver(t *testing.T, script ...func(w http.ResponseWriter)) *webhookReceiver {
	t.Helper()
	r := &webhookReceiver{script: script}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.reqs)
		r.reqs = append(r.reqs, capturedRequest{Header: req.Header.Clone(), Body: body})
		r.mu.Unlock()
		if n < len(r.script) {
			r.script[n](w)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	r.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.newConns.Add(1)
		}
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

// sender is a webhook sender posting to the receiver, closed when the test ends.
func (r *webhookReceiver) sender(t *testing.T) *WebhookSender {
	t.Helper()
	w, err := NewWebhookSender(senderconfig.WebhookConfig{AllowLoopback: true, URL: r.srv.URL}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// sendOnce sends testMessage through s and returns what the receiver got,
// which must be n requests.
func (r *webhookReceiver) sendOnce(t *testing.T, s Sender, n int) []capturedRequest {
	t.Helper()
	if err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := r.requests()
	if len(reqs) != n {
		t.Fatalf("receiver got %d requests, want %d", len(reqs), n)
	}
	return reqs
}

func (r *webhookReceiver) requests() []capturedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]capturedRequest(nil), r.reqs...)
}

// status answers with code and optional Retry-After.
func status(code int, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}
}

var testSecret = []byte("whsec_loopback")

func testMessage() Message {
	return Message{
		IdempotencyKey: "winback/step-1/cust-42", To: "cust-42", Subject: "We miss you", Body: "<p>10% off</p>", HTML: true,
		Headers:  map[string]string{"X-Trace": "abc"},
		Metadata: Metadata{Playbook: "winback", Step: "step-1", CustomerID: "cust-42"},
	}
}

func TestWebhookSendSignedJSON(t *testing.T) {
	rcv := newWebhookReceiver(t)
	w, err := NewWebhookSender(senderconfig.WebhookConfig{AllowLoopback: true, URL: rcv.srv.URL + "/hook", Headers: map[string]string{"X-Api-Key": "gw-1"}}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	before := time.Now()
	reqs := rcv.sendOnce(t, w, 1)
	r := reqs[0]
	for k, want := range map[string]string{
		"Idempotency-Key": "winback/step-1/cust-42", "Content-Type": "application/json", "X-Api-Key": "gw-1", "X-Trace": "abc",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	sig := r.Header.Get(SignatureHeader)
	if err := VerifySignature(testSecret, sig, r.Body, 5*time.Minute, time.Now()); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	if ts := r.Header.Get(TimestampHeader); sig[:len("t=")+len(ts)] != "t="+ts {
		t.Errorf("timestamp header %q does not match signature %q", ts, sig)
	}
	if ts, err := strconv.ParseInt(r.Header.Get(TimestampHeader), 10, 64); err != nil || ts < before.Unix() || ts > time.Now().Unix() {
		t.Errorf("timestamp %d (err %v) is not within the send (started %d)", ts, err, before.Unix())
	}
	tampered := append([]byte(nil), r.Body...)
	tampered[len(tampered)-2] ^= 1
	if err := VerifySignature(testSecret, sig, tampered, 5*time.Minute, time.Now()); err == nil {
		t.Errorf("tampered body verified")
	}
	var p webhookPayload
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	want := webhookPayload{IdempotencyKey: "winback/step-1/cust-42", To: "cust-42", Subject: "We miss you", Body: "<p>10% off</p>", HTML: true,
		Metadata: Metadata{Playbook: "winback", Step: "step-1", CustomerID: "cust-42"}}
	if p != want {
		t.Errorf("payload = %+v, want %+v", p, want)
	}
}

func TestWebhookStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		name           string
		code           int
		retryAfter     string
		wantErr        bool
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{name: "200 ok", code: 200},
		{name: "204 ok", code: 204},
		{name: "400 permanent", code: 400, wantErr: true, wantPermanent: true},
		{name: "401 permanent", code: 401, wantErr: true, wantPermanent: true},
		{name: "404 permanent", code: 404, wantErr: true, wantPermanent: true},
		{name: "422 permanent", code: 422, wantErr: true, wantPermanent: true},
		{name: "302 not followed, permanent", code: 302, wantErr: true, wantPermanent: true},
		{name: "408 transient", code: 408, wantErr: true},
		{name: "429 transient with Retry-After seconds", code: 429, retryAfter: "7", wantErr: true, wantRetryAfter: 7 * time.Second},
		{name: "500 transient", code: 500, wantErr: true},
		{name: "503 transient with Retry-After", code: 503, retryAfter: "2", wantErr: true, wantRetryAfter: 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newWebhookReceiver(t, func(w http.ResponseWriter) {
				if tc.code == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				status(tc.code, tc.retryAfter)(w)
			})
			w := rcv.sender(t)
			err := w.Send(context.Background(), testMessage())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil {
				return
			}
			if IsPermanent(err) != tc.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", IsPermanent(err), tc.wantPermanent, err)
			}
			ra, _ := RetryAfter(err)
			if ra != tc.wantRetryAfter {
				t.Errorf("RetryAfter = %s, want %s", ra, tc.wantRetryAfter)
			}
			var ce *Error
			if !asError(err, &ce) || ce.Detail != http.StatusText(tc.code) || ce.StatusCode != tc.code {
				t.Errorf("error = %#v, want status %d and Detail %q", ce, tc.code, http.StatusText(tc.code))
			}
			if n := len(rcv.requests()); n != 1 {
				t.Errorf("receiver got %d requests, want 1 (no redirect following)", n)
			}
		})
	}
}

func TestParseRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"Tue, 24 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Tue, 24 Nov 2026 11:59:00 GMT", 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestWebhookNetworkErrorIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens any more: connection refused
	w, err := NewWebhookSender(senderconfig.WebhookConfig{AllowLoopback: true, URL: url, Timeout: 2 * time.Second}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Send(context.Background(), testMessage())
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want transient network error", err)
	}
}

func TestWebhookReusesConnections(t *testing.T) {
	rcv := newWebhookReceiver(t)
	w := rcv.sender(t)
	for i := 0; i < 200; i++ {
		if err := w.Send(context.Background(), testMessage()); err != nil {
			t.Fatal(err)
		}
	}
	if n := rcv.newConns.Load(); n != 1 {
		t.Errorf("200 sequential sends opened %d connections, want 1 (keep-alive reuse)", n)
	}
	const workers = 16
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := w.Send(context.Background(), testMessage()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Each sender has at most one request in flight and can start at most one
	// dial while all pooled connections are busy, so once the pool keeps them
	// (MaxIdleConnsPerHost >= 2*workers) the count is bounded by 2*workers plus
	// the first one. With net/http's default of 2 idle connections per host it
	// would grow with the number of sends instead.
	if n := rcv.newConns.Load(); n > 2*workers+1 {
		t.Errorf("%d concurrent senders opened %d connections for 800 sends, want <= %d", workers, n, 2*workers+1)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  senderconfig.WebhookConfig
		sec  []byte
	}{
		{name: "relative url", cfg: senderconfig.WebhookConfig{URL: "/hook"}, sec: testSecret},
		{name: "ftp url", cfg: senderconfig.WebhookConfig{URL: "ftp://x/y"}, sec: testSecret},
		{name: "empty secret", cfg: senderconfig.WebhookConfig{AllowLoopback: true, URL: "http://127.0.0.1/"}},
		{name: "bad header name", cfg: senderconfig.WebhookConfig{AllowLoopback: true, URL: "http://127.0.0.1/", Headers: map[string]string{"Bad Header": "x"}}, sec: testSecret},
	}
	for _, tc := range tests {
		if _, err := NewWebhookSender(tc.cfg, tc.sec); err == nil {
			t.Errorf("%s: NewWebhookSender succeeded, want error", tc.name)
		}
	}
}

// A stop while a request is on the wire does not cut it: the receiver may
// already hold the message, and a send reported failed would be sent again.
// A send asked for after the stop does not start.
func TestWebhookStopLetsTheRequestOnTheWireFinish(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	rcv := newWebhookReceiver(t, func(w http.ResponseWriter) {
		stop() // the worker stops while the receiver handles the request
		time.Sleep(50 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	w, err := NewWebhookSender(senderconfig.WebhookConfig{AllowLoopback: true, URL: rcv.srv.URL, Timeout: 5 * time.Second}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(ctx, testMessage()); err != nil {
		t.Fatalf("send stopped mid-request: %v, want its answer (200)", err)
	}
	if err := w.Send(ctx, testMessage()); !errors.Is(err, context.Canceled) {
		t.Fatalf("send after the stop: %v, want context.Canceled", err)
	}
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}
}
