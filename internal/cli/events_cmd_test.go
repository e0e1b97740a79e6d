package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/ingest"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// eventsAPI serves the real ingestion API over a throwaway PostgreSQL schema
// and returns its URL, a write key file and the store.
func eventsAPI(t *testing.T) (string, string, *store.DB) {
	t.Helper()
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("wk_cli"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ingest.NewServer(context.Background(), ingest.Options{DB: db, Source: "shop/web", WriteKeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, keyFile, db
}

func runEvents(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewRootCommand("retentionctl")
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// An NDJSON file is sent as batches and stored once, however often it is
// sent (messages without messageId get one derived from their bytes); flags
// send one identify; a refused message fails the command naming the field.
func TestEventsSend(t *testing.T) {
	url, keyFile, db := eventsAPI(t)
	var nd strings.Builder
	for i := 0; i < 250; i++ {
		nd.WriteString(`{"userId":"u` + string(rune('a'+i%26)) + `","event":"cart_updated","properties":{"n":` + strings.Repeat("1", 1+i%3) + `}}` + "\n")
	}
	file := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(file, []byte(nd.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		out, err := runEvents(t, "events", "send", "--url", url, "--write-key-file", keyFile, "-f", file)
		if err != nil || !strings.Contains(out, "sent 250 of 250 messages in 3 batches") {
			t.Fatalf("send %d: %v\n%s", i, err, out)
		}
	}
	out, err := runEvents(t, "events", "send", "--url", url, "--write-key-file", keyFile, "--type", "identify",
		"--user-id", "ua", "--trait", "email=ua@example.com", "--trait", "consentEmail=true")
	if err != nil {
		t.Fatalf("identify: %v\n%s", err, out)
	}
	ids, err := db.IngestedMessageIDs(context.Background(), "shop/web")
	if err != nil {
		t.Fatal(err)
	}
	// 250 lines, but only 78 distinct messages (26 users x 3 property values).
	if len(ids) != 78+1 {
		t.Errorf("%d distinct messages stored, want 79 (78 distinct lines sent twice, one identify)", len(ids))
	}
	var email string
	if err := db.QueryRow(context.Background(), `SELECT email FROM ingest_traits WHERE customer_id = 'ua'`).Scan(&email); err != nil || email != "ua@example.com" {
		t.Errorf("identify from flags: email %q, %v", email, err)
	}

	_, err = runEvents(t, "events", "send", "--url", url, "--write-key-file", keyFile, "--user-id", "u1", "--event", "x", "--property", "bad")
	if err == nil || !strings.Contains(err.Error(), `--property "bad": want key=value`) {
		t.Errorf("bad --property: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"event":"e"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runEvents(t, "events", "send", "--url", url, "--write-key-file", keyFile, "-f", bad)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "batch[0].userId") {
		t.Errorf("message without userId: %v, want the API's 400 naming batch[0].userId", err)
	}
}
