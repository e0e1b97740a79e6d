package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// A gzip-encoded call is accepted; one that inflates past the 32 KB limit is
// refused with 413 however small it is on the wire, and stores nothing.
func TestGzipBody(t *testing.T) {
	srv, db := apiServer(t, nil)
	post := func(body string) int {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write([]byte(body))
		_ = zw.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/track", &z)
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(testKey+":")))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"userId":"u1","event":"zipped","messageId":"z1"}`); code != 200 {
		t.Fatalf("gzip track answered %d", code)
	}
	bomb := `{"userId":"u1","event":"e","properties":{"pad":"` + strings.Repeat("a", 10*MaxMessageBytes) + `"}}`
	if code := post(bomb); code != http.StatusRequestEntityTooLarge {
		t.Errorf("gzip body inflating to %d bytes answered %d, want 413", len(bomb), code)
	}
	if n := storedRows(t, db); n != 1 {
		t.Errorf("%d rows stored, want 1 (the accepted call only)", n)
	}
}
