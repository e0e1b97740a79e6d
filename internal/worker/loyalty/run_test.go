package loyalty

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// TestRunServesAndIngests starts the worker for real (ingest loop + HTTP on a
// loopback port), reads a member ingested from the source, and shuts down on
// context cancel.
func TestRunServesAndIngests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte(apiToken), 0o600)
	src := &sliceSource{
		orders: []customer.Order{{CustomerID: "A", OrderID: "o1", Amount: 42.9, OccurredAt: day(0)}},
		events: []customer.Event{{CustomerID: "A", Type: "review", OccurredAt: day(0.5), Properties: map[string]string{"id": "ev1"}}},
	}
	cfg := redemptionConfig()
	cfg.EarnRules.EventBonuses = append(cfg.EarnRules.EventBonuses, engineBonus("review", 5))
	db := testdb.Open(t, testdb.SQLite(t), store.Open)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a failed check must not leave the loop polling a closed database
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Program: cfg, DB: db, Source: src, Listen: addr, TokenFile: tok,
			Now: func() time.Time { return day(1) }, PollInterval: 50 * time.Millisecond})
	}()
	// The order and the review may land in different ingest passes, so the
	// member is read until both are in (or the deadline says they never were).
	var v store.MemberView
	deadline := time.Now().Add(10 * time.Second)
	for v.Available != 47 { // floor(42.9) = 42 + review bonus 5
		if time.Now().After(deadline) {
			t.Fatalf("member A %+v after 10s, want 47 available", v)
		}
		time.Sleep(20 * time.Millisecond)
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/members/A", nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		if res.StatusCode == 200 {
			json.NewDecoder(res.Body).Decode(&v)
		}
		res.Body.Close()
	}
	cancel()
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if err != nil {
		t.Fatalf("Run returned %v on shutdown", err)
	}
}
