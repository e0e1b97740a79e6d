package loyalty

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

const (
	apiToken   = "member-api-token-123"
	adminToken = "admin-token-456"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * float64(24*time.Hour))) }

func eachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, testdb.Open(t, testdb.SQLite(t), store.Open)) })
	t.Run("postgres", func(t *testing.T) { fn(t, testdb.Open(t, testdb.Postgres(t), store.Open)) })
}

// testServer is the real API handler on a loopback listener over a real ledger.
type testServer struct {
	*httptest.Server
	points *store.Points
	now    time.Time
}

func newTestServer(t *testing.T, db *store.DB, cfg engine.Config, now time.Time) *testServer {
	t.Helper()
	return newTestServerTokens(t, db, cfg, now, false)
}

// newTestServerTokens is newTestServer; with sharedAdmin the admin token file
// is the API token file (a program without spec.adminTokenSecretRef).
func newTestServerTokens(t *testing.T, db *store.DB, cfg engine.Config, now time.Time, sharedAdmin bool) *testServer {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(16)
	p, err := store.OpenPoints(context.Background(), db, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokFile, adminFile := filepath.Join(dir, "token"), filepath.Join(dir, "admin")
	os.WriteFile(tokFile, []byte(apiToken+"\n"), 0o600)
	os.WriteFile(adminFile, []byte(adminToken), 0o600)
	if sharedAdmin {
		adminFile = tokFile
	}
	ts := &testServer{points: p, now: now}
	api, err := NewAPI(p, &cfg, func() time.Time { return ts.now }, tokFile, adminFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = httptest.NewServer(api.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// newTestServerNoAdmin is newTestServer without an admin token file.
func newTestServerNoAdmin(t *testing.T, db *store.DB, cfg engine.Config, now time.Time) *testServer {
	t.Helper()
	ts := newTestServerTokens(t, db, cfg, now, false)
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte(apiToken), 0o600)
	api, err := NewAPI(ts.points, ts.points.Config(), func() time.Time { return ts.now }, tokFile, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = api.Handler()
	return ts
}

type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (ts *testServer) do(t testing.TB, method, path, token string, body string, headers ...string) response {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, _ := http.NewRequest(method, ts.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return response{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{code: res.StatusCode, header: res.Header, body: b}
}

// sliceSource serves fixed orders and events like a connector (rows with occurred_at >= since).
type sliceSource struct {
	orders []customer.Order
	events []customer.Event
}

func (s *sliceSource) ScanOrders(ctx context.Context, since time.Time, fn func(*customer.Order) error) error {
	return scanSince(s.orders, since, func(o *customer.Order) time.Time { return o.OccurredAt }, fn)
}

func (s *sliceSource) ScanEvents(ctx context.Context, since time.Time, fn func(*customer.Event) error) error {
	return scanSince(s.events, since, func(e *customer.Event) time.Time { return e.OccurredAt }, fn)
}

// scanSince calls fn on each row that occurred at or after since, in order,
// and stops at fn's first error.
func scanSince[T any](rows []T, since time.Time, occurredAt func(*T) time.Time, fn func(*T) error) error {
	for i := range rows {
		if !occurredAt(&rows[i]).Before(since) {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func orderOf(member, id string, amount float64, at time.Time) *customer.Order {
	return &customer.Order{CustomerID: member, OrderID: id, Amount: amount, OccurredAt: at}
}

func engineBonus(eventType string, points int64) engine.EventBonus {
	return engine.EventBonus{EventType: eventType, Points: points}
}

// loyaltyDays is n days as the loyalty engine's Duration.
func loyaltyDays(n int) engine.Duration {
	return engine.Duration{Duration: time.Duration(n) * 24 * time.Hour}
}
