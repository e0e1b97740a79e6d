package cli

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// TestForgetCommand: one call erases the customer from two stores (SQLite
// and PostgreSQL), prints per store what it touched without the id, and a
// second call touches nothing and says so.
func TestForgetCommand(t *testing.T) {
	urls := []string{"sqlite:" + filepath.Join(t.TempDir(), "state.db"), testdb.Postgres(t)}
	for _, u := range urls {
		seedJourneys(t, u)
	}
	args := []string{"forget", "c-1", "-o", "json"}
	for _, u := range urls {
		args = append(args, "--state-store", u)
	}
	out, _, err := runCLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "c-1") {
		t.Errorf("output names the customer: %s", out)
	}
	var got []forgotten
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("%d stores in the answer, want 2: %s", len(got), out)
	}
	for _, f := range got {
		if f.Run != 1 || f.Rows["journey_states"] != 1 || f.Touched() != 1 || len(f.Pseudonym) != 64 {
			t.Errorf("store %s: %+v, want run 1 with the one journey", f.Store, f.Erasure)
		}
	}
	if got[0].Pseudonym == got[1].Pseudonym {
		t.Errorf("two stores share a pseudonym %s: each store must have its own key", got[0].Pseudonym)
	}
	for _, u := range urls {
		db, err := store.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		states, err := db.LoadJourneyStates(context.Background(), "shop/winback", 0, 1)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := states["c-1"]; ok || len(states) != 4 {
			t.Errorf("%s: journeys after forget %d (c-1 present: %v), want 4 with c-1 under a tombstone", u, len(states), ok)
		}
	}
	out, _, err = runCLI(t, "forget", "c-1", "--state-store", urls[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "nothing left to erase") || !strings.Contains(out, "  2  ") {
		t.Errorf("second forget:\n%s", out)
	}
}

func TestForgetCommandErrors(t *testing.T) {
	t.Setenv("RETENTION_STATE_STORE", "")
	if _, _, err := runCLI(t, "forget", "c-1"); err == nil || !strings.Contains(err.Error(), "--state-store") {
		t.Errorf("no store: %v", err)
	}
	url := "sqlite:" + filepath.Join(t.TempDir(), "state.db")
	seedJourneys(t, url)
	var ce *store.CustomerIDError
	if _, _, err := runCLI(t, "forget", " ", "--state-store", url); !errors.As(err, &ce) {
		t.Errorf("blank id: %v, want a %T", err, ce)
	}
	missing := "sqlite:" + filepath.Join(t.TempDir(), "nope.db")
	if _, _, err := runCLI(t, "forget", "c-1", "--state-store", missing); !errors.Is(err, store.ErrUnusedStore) {
		t.Errorf("missing store file: %v", err)
	}
}
