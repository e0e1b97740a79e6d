package ingest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// testKey is the write key of the test source.
const (
	testKey    = "wk_test_4f1b9c"
	testSource = "shop/events"
)

// apiServer serves the real handler on loopback over a throwaway PostgreSQL
// schema; clock is receivedAt (nil: the real clock).
func apiServer(t testing.TB, clock func() time.Time) (*httptest.Server, *store.DB) {
	t.Helper()
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	keyFile := filepath.Join(t.TempDir(), "writeKey")
	if err := os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(context.Background(), Options{DB: db, Source: testSource, WriteKeyFile: keyFile, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, db
}

// specPost is a client written from the Segment HTTP Tracking API spec, not
// from this package: POST https://<host>/v1/<call> with a JSON body and the
// write key as the HTTP Basic username (empty password). It returns the
// status and the decoded JSON answer.
func specPost(t testing.TB, base, call, writeKey string, body any) (int, map[string]any) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, base+"/v1/"+call, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if writeKey != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(writeKey+":")))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var answer map[string]any
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatalf("%s answered %d with non-JSON %q", call, resp.StatusCode, out)
	}
	return resp.StatusCode, answer
}

// storedRows counts the source's stored messages.
func storedRows(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM ingest_events WHERE source = $1`, testSource).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
