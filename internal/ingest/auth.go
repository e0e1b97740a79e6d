package ingest

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"os"
	"sync"
	"time"
)

// writeKeyReload is how long a read write key is trusted before the file is
// read again, so a rotated Secret takes effect within it without a restart
// and a request never waits on the file system.
const writeKeyReload = 10 * time.Second

// writeKey is the source's write key, read from the mounted Secret file.
type writeKey struct {
	path string
	mu   sync.Mutex
	key  []byte
	read time.Time
}

func newWriteKey(path string) (*writeKey, error) {
	k := &writeKey{path: path}
	if _, err := k.current(time.Now()); err != nil {
		return nil, err
	}
	return k, nil
}

// current is the key, re-read from its file when writeKeyReload has passed.
// A failed re-read keeps the last good key (a Secret update replaces the
// file's symlink, briefly absent).
func (k *writeKey) current(now time.Time) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key != nil && now.Sub(k.read) < writeKeyReload {
		return k.key, nil
	}
	raw, err := os.ReadFile(k.path)
	key := bytes.TrimSpace(raw)
	switch {
	case err == nil && len(key) == 0:
		err = fmt.Errorf("write key file %s is empty; put the key in the Secret the DataSource's spec.ingest.writeKeySecretRef names", k.path)
	case err != nil:
		err = fmt.Errorf("write key file: %w", err)
	}
	if err != nil {
		if k.key != nil {
			return k.key, nil
		}
		return nil, err
	}
	k.key, k.read = key, now
	return key, nil
}

// matches compares the HTTP Basic username (the spec sends the write key as
// the username with an empty password) in constant time.
func (k *writeKey) matches(user string, now time.Time) bool {
	key, err := k.current(now)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(user), key) == 1
}
