package loyalty

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// tokenFile is a bearer token read from a mounted Secret file, re-read when the
// file changes so a rotated Secret takes effect without a restart.
type tokenFile struct {
	path string
	mu   sync.Mutex
	mod  time.Time
	tok  []byte
}

func loadToken(path string) (*tokenFile, error) {
	if path == "" {
		return nil, nil
	}
	t := &tokenFile{path: path}
	if _, err := t.token(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *tokenFile) token() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := os.Stat(t.path)
	if err != nil {
		if t.tok != nil {
			return t.tok, nil // keep serving with the last good token while a Secret update swaps files
		}
		return nil, fmt.Errorf("token file %s: %w", t.path, err)
	}
	if t.tok == nil || !st.ModTime().Equal(t.mod) {
		b, err := os.ReadFile(t.path)
		if err != nil {
			return nil, fmt.Errorf("token file %s: %w", t.path, err)
		}
		tok := []byte(strings.TrimSpace(string(b)))
		if len(tok) == 0 {
			return nil, fmt.Errorf("token file %s is empty: put the bearer token in it", t.path)
		}
		t.tok, t.mod = tok, st.ModTime()
	}
	return t.tok, nil
}

// matches compares in constant time (for equal lengths; the length itself is
// not secret enough to matter).
func (t *tokenFile) matches(presented []byte) bool {
	if t == nil {
		return false
	}
	want, err := t.token()
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(want, presented) == 1
}

// bearer extracts the token from "Authorization: Bearer <token>".
func bearer(r *http.Request) []byte {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil
	}
	return []byte(strings.TrimSpace(h[7:]))
}
