package channel

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretSource resolves secret values (signing keys, SMTP credentials) by key.
// Errors name the key, never the value.
type SecretSource interface {
	Secret(key string) ([]byte, error)
}

// DirSecrets reads dir/<key>, the layout of a Kubernetes Secret mounted as a volume.
type DirSecrets string

// Secret returns the file content with one trailing newline removed (files
// written by editors and `echo` end in one; it is never part of the secret).
func (d DirSecrets) Secret(key string) ([]byte, error) {
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, `/\`) {
		return nil, fmt.Errorf("secret key %q is not a plain file name", key)
	}
	b, err := os.ReadFile(filepath.Join(string(d), key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret %q is missing: no file %s; add the key to the mounted Secret", key, filepath.Join(string(d), key))
	}
	if err != nil {
		// os errors carry only the path, not the content.
		return nil, fmt.Errorf("secret %q: %w", key, err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return nil, fmt.Errorf("secret %q is empty", key)
	}
	return b, nil
}
