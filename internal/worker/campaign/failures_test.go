package campaign

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

func oneSendPlaybook(name string) journey.Config {
	return onEntry(name, "hello", "hook", journey.Template{Body: "hi"})
}

// consenting is customers(n), every one with webhook consent.
func consenting(n int) []customer.Features {
	feats := customers(n)
	for i := range feats {
		feats[i].Attributes[journey.ConsentWebhookAttribute] = "true"
	}
	return feats
}

// A receiver that answers 503 to the first requests: those rows stay pending
// and are resent with the same key on later ticks until accepted; a 400 is
// permanent and marked failed, never retried.
func TestTransientFailuresResendSameKeyPermanentFail(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	accepted := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(channel.IdempotencyHeader)
		mu.Lock()
		defer mu.Unlock()
		seen[key]++
		switch {
		case key == journey.IdempotencyKey("shop/flaky", "cust-0007", 1, "hello"):
			w.WriteHeader(http.StatusBadRequest) // permanent
		case seen[key] <= 2:
			w.WriteHeader(http.StatusServiceUnavailable) // transient, twice per key
		default:
			accepted[key] = true
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	last := runIdle(t, withHook(t, srv.URL, Options{Playbook: oneSendPlaybook("shop/flaky"), DB: testdb.Open(t, testdb.SQLite(t), store.Open),
		Source: &memSource{feats: consenting(20)}}))
	if len(accepted) != 19 || last.Sent != 19 || last.Failed != 1 || last.Pending != 0 {
		t.Fatalf("accepted %d, summary sent %d failed %d pending %d; want 19/19/1/0", len(accepted), last.Sent, last.Failed, last.Pending)
	}
	for key, n := range seen {
		if accepted[key] && n != 3 {
			t.Errorf("key %s tried %d times, want 3 (two 503s, then accepted)", key, n)
		}
	}
	if n := seen[journey.IdempotencyKey("shop/flaky", "cust-0007", 1, "hello")]; n != 1 {
		t.Errorf("permanently refused message tried %d times, want 1", n)
	}
}

// Dry run walks the journeys and records what would be sent, sending nothing;
// suspend changes nothing at all.
func TestDryRunAndSuspendSendNothing(t *testing.T) {
	recv := newReceiver(t, 0)
	for _, c := range []struct {
		name            string
		dryRun, suspend bool
		wantDry, wantEn int64
	}{{"dryRun", true, false, 20, 20}, {"suspend", false, true, 0, 0}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := oneSendPlaybook("shop/" + c.name)
			cfg.DryRun, cfg.Suspend = c.dryRun, c.suspend
			last := runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: cfg, DB: testdb.Open(t, testdb.SQLite(t), store.Open),
				Source: &memSource{feats: consenting(20)}}))
			if last.DryRunCount != c.wantDry || last.Enrolled != c.wantEn || last.Sent != 0 {
				t.Fatalf("summary %+v", last)
			}
		})
	}
	if n := len(recv.keys()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}
