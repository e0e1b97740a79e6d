package cmd

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/customer"
	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
	"github.com/retention-dev/retention-operator/internal/worker/loyalty"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// loyaltyAPI serves the real loyalty API over a SQLite ledger with member
// "m1" (one 10 EUR order = 10 points), with token as the program's admin
// token (adjustments need one separate from the API token).
func loyaltyAPI(t *testing.T, token string) (*httptest.Server, *store.Points) {
	t.Helper()
	ctx := context.Background()
	cfg := engine.Config{Currency: "EUR", PointValue: 0.01, EarnRules: engine.EarnRules{PointsPerUnit: 1}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := store.OpenPoints(ctx, testdb.Open(t, testdb.SQLite(t), store.Open), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := p.ApplyOrder(ctx, &customer.Order{CustomerID: "m1", OrderID: "o1", Amount: 10, OccurredAt: now.Add(-time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokenFile, adminFile := filepath.Join(dir, "token"), filepath.Join(dir, "admin")
	if err := os.WriteFile(tokenFile, []byte("shop-"+token), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(adminFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	api, err := loyalty.NewAPI(p, &cfg, time.Now, tokenFile, adminFile, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv, p
}

// awarder reaches program "rewards" at url with the token in a mounted Secret dir.
func awarder(t *testing.T, url, token string) *loyaltyAwarder {
	t.Helper()
	dir := t.TempDir()
	if token != "" {
		if err := os.WriteFile(filepath.Join(dir, "api"), []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a := newLoyaltyAwarder("shop/welcome", map[string]contract.LoyaltyEndpoint{"rewards": {URL: url, TokenKey: "api"}}, workload.Paths{})
	a.secrets = func(string) channel.SecretSource { return channel.DirSecrets(dir) }
	return a
}

// Awards credit the member once per key, through the real API and ledger.
func TestAwardCreditsOncePerKey(t *testing.T) {
	srv, p := loyaltyAPI(t, "tok")
	a := awarder(t, srv.URL+"/", "tok") // a trailing slash in the endpoint is fine
	ctx := context.Background()
	for i, key := range []string{"k1", "k1", "k2"} {
		if err := a.Award(ctx, "rewards", "m1", 25, "", key); err != nil {
			t.Fatalf("award %d: %v", i, err)
		}
	}
	v, err := p.Member(ctx, "m1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v.Available != 10+25+25 {
		t.Errorf("available %d, want 60 (10 earned + two distinct awards of 25)", v.Available)
	}
	hist, err := p.History(ctx, "m1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Points != 25 || hist[0].Reason != "awardPoints step of playbook shop/welcome" {
		t.Errorf("history %+v, want the order and two awards with the playbook as reason", hist)
	}
}

// Failures are classified so the campaign worker either marks the delivery
// failed (permanent) or resends it with the same key (transient).
func TestAwardErrors(t *testing.T) {
	srv, _ := loyaltyAPI(t, "tok")
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name      string
		url       string
		token     string
		program   string
		member    string
		permanent bool
		status    int
		wantErr   string
	}{
		{name: "unknown member", url: srv.URL, token: "tok", program: "rewards", member: "nobody", permanent: true, status: 404},
		{name: "wrong token", url: srv.URL, token: "nope", program: "rewards", member: "m1", permanent: true, status: 401},
		{name: "token not mounted", url: srv.URL, program: "rewards", member: "m1", permanent: true, wantErr: `secret "api" is missing`},
		{name: "program not in the spec", url: srv.URL, token: "tok", program: "other", member: "m1", permanent: true, wantErr: `loyalty program "other"`},
		{name: "server unavailable", url: unavailable.URL, token: "tok", program: "rewards", member: "m1", status: 503},
		{name: "connection refused", url: closedURL, token: "tok", program: "rewards", member: "m1", wantErr: "request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := awarder(t, tt.url, tt.token).Award(context.Background(), tt.program, tt.member, 5, "", "key-1")
			if err == nil {
				t.Fatal("want an error")
			}
			if channel.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", channel.IsPermanent(err), tt.permanent, err)
			}
			var ce *channel.Error
			if tt.status != 0 && (!asChannelError(err, &ce) || ce.StatusCode != tt.status) {
				t.Errorf("error %v, want status %d", err, tt.status)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tt.member) && tt.member != "m1" {
				t.Errorf("error %q names the member", err)
			}
		})
	}
}

func asChannelError(err error, target **channel.Error) bool {
	ce, ok := err.(*channel.Error)
	if ok {
		*target = ce
	}
	return ok
}
