package channel

import (
	"strings"
	"testing"
)

func TestDirSecrets(t *testing.T) {
	dir := writeSecrets(t, map[string][]byte{
		"with-newline": []byte("s3cret\n"), "crlf": []byte("s3cret\r\n"), "raw": []byte("s3cret"),
		"two-newlines": []byte("s3cret\n\n"), "empty": []byte("\n"),
	})
	tests := []struct {
		key     string
		want    string
		wantErr string
	}{
		{key: "with-newline", want: "s3cret"},
		{key: "crlf", want: "s3cret"},
		{key: "raw", want: "s3cret"},
		{key: "two-newlines", want: "s3cret\n"}, // only one trailing newline is an artefact
		{key: "empty", wantErr: `secret "empty" is empty`},
		{key: "absent", wantErr: `secret "absent" is missing`},
		{key: "../etc/passwd", wantErr: "not a plain file name"},
		{key: "", wantErr: "not a plain file name"},
	}
	for _, tc := range tests {
		got, err := dir.Secret(tc.key)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Secret(%q) err = %v, want containing %q", tc.key, err, tc.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Secret(%q) = %q, %v; want %q", tc.key, got, err, tc.want)
		}
	}
}
