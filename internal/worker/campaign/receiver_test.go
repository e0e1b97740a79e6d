package campaign

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// receiver is a real HTTP webhook endpoint on loopback that keeps every
// message it was sent, in the order they arrived (a resend with the same
// Idempotency-Key is kept again).
type receiver struct {
	mu    sync.Mutex
	got   []received
	delay time.Duration    // how long each request takes to answer
	stamp func() time.Time // when set, the time each message is stamped with
	srv   *httptest.Server
}

// received is one message as the receiver got it.
type received struct {
	customer, key     string
	to, subject, body string
	at                time.Time // the stamp's time at arrival
}

func newReceiver(t testing.TB, delay time.Duration) *receiver {
	return startReceiver(t, &receiver{delay: delay})
}

// newStampReceiver is a receiver that stamps each message with the worker's
// clock, read without stepping it.
func newStampReceiver(t testing.TB, clock *stepClock) *receiver {
	return startReceiver(t, &receiver{stamp: clock.peek})
}

// startReceiver serves r on loopback until t ends. A request whose body is
// not a webhook payload is answered 400 and not kept.
func startReceiver(t testing.TB, r *receiver) *receiver {
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var p struct {
			To       string           `json:"to"`
			Subject  string           `json:"subject"`
			Body     string           `json:"body"`
			Metadata channel.Metadata `json:"metadata"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.delay > 0 {
			time.Sleep(r.delay)
		}
		m := received{customer: p.Metadata.CustomerID, key: req.Header.Get(channel.IdempotencyHeader),
			to: p.To, subject: p.Subject, body: p.Body}
		if r.stamp != nil {
			m.at = r.stamp()
		}
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// requests is how many messages arrived, resends included.
func (r *receiver) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// messages is every message received so far.
func (r *receiver) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// keys is how often each Idempotency-Key arrived.
func (r *receiver) keys() map[string]int {
	out := map[string]int{}
	for _, m := range r.messages() {
		out[m.key]++
	}
	return out
}

// customers is how many distinct keys each customer was sent.
func (r *receiver) customers() map[string]int {
	out := map[string]int{}
	for _, c := range r.keyCustomers() {
		out[c]++
	}
	return out
}

// keyCustomers is the customer of each Idempotency-Key received.
func (r *receiver) keyCustomers() map[string]string {
	out := map[string]string{}
	for _, m := range r.messages() {
		out[m.key] = m.customer
	}
	return out
}

// bodies is the bodies of each customer's messages, in order of arrival.
func (r *receiver) bodies() map[string][]string {
	out := map[string][]string{}
	for _, m := range r.messages() {
		out[m.customer] = append(out[m.customer], m.body)
	}
	return out
}

// onceEach reports each of want that got counts other than once, and each
// of got that is not in want (what names them: "key", "customer").
func onceEach(t *testing.T, what string, got map[string]int, want map[string]bool) {
	t.Helper()
	for k := range want {
		if got[k] != 1 {
			t.Errorf("%s %s received %d times, want 1", what, k, got[k])
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected %s %s received %d times", what, k, got[k])
		}
	}
}

// webhookSender is the channel package's real webhook sender to url
// (loopback allowed), closed when t ends.
func webhookSender(t testing.TB, url string) channel.Sender {
	s, err := newWebhookSender(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// newWebhookSender is the tests' webhook sender to url: loopback allowed,
// a 5s timeout, signed with a fixed secret.
func newWebhookSender(url string) (*channel.WebhookSender, error) {
	return channel.NewWebhookSender(senderconfig.WebhookConfig{URL: url, Timeout: 5 * time.Second, AllowLoopback: true}, []byte("test-secret"))
}
