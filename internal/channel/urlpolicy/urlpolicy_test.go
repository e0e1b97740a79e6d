package urlpolicy

import (
	"strings"
	"testing"
)

// TestValidate: cloud metadata, link-local, unspecified and
// multicast targets are refused whatever the setting; loopback only without
// AllowLoopback; public and private-network receivers are accepted.
func TestValidate(t *testing.T) {
	tests := []struct {
		url           string
		allowLoopback bool
		want          string // "" = accepted
	}{
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", false, "link-local"},
		{"http://169.254.169.254/latest/meta-data/", true, "link-local"},
		{"http://[fe80::1%25eth0]:8080/", true, "link-local"},
		{"http://[::ffff:169.254.169.254]/", true, "link-local"},
		{"http://[64:ff9b::a9fe:a9fe]/", true, "link-local"},
		{"http://[fd00:ec2::254]/", true, "cloud metadata"},
		{"http://100.100.100.200/latest/meta-data/", true, "cloud metadata"},
		{"http://metadata.google.internal/computeMetadata/v1/", true, "cloud metadata"},
		{"http://Metadata.Google.Internal./computeMetadata/v1/", true, "cloud metadata"},
		{"http://0.0.0.0:8080/", true, "unspecified"},
		{"http://[::]:8080/", true, "unspecified"},
		{"http://239.1.2.3/", true, "multicast"},
		{"http://127.0.0.1:8080/hook", false, "loopback"},
		{"http://127.1.2.3/hook", false, "loopback"},
		{"http://[::1]:8080/hook", false, "loopback"},
		{"http://localhost:8080/hook", false, "loopback"},
		{"http://api.localhost/hook", false, "loopback"},
		{"ftp://hooks.example.com/", false, "absolute http(s) URL"},
		{"/hook", false, "absolute http(s) URL"},
		{"http://127.0.0.1:8080/hook", true, ""},
		{"http://localhost:8080/hook", true, ""},
		{"https://hooks.shop.example/retention", false, ""},
		{"http://10.96.0.12:8080/hook", false, ""},
		{"http://receiver.shop.svc.cluster.local/hook", false, ""},
		{"http://[fd12:3456::1]/hook", false, ""},
	}
	for _, tt := range tests {
		err := Validate(tt.url, tt.allowLoopback)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s (allowLoopback %v): %v, want accepted", tt.url, tt.allowLoopback, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s (allowLoopback %v): %v, want an error containing %q", tt.url, tt.allowLoopback, err, tt.want)
		}
	}
	if err := Validate("http://127.0.0.1/", false); err == nil || !strings.Contains(err.Error(), "spec.webhook.allowLoopback") {
		t.Errorf("loopback error %v does not name the setting that allows it", err)
	}
}
