package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Planted values that must never survive redaction.
const (
	plantPassword = "S3cr3t-PLANT-xyz"
	plantEmail    = "bob.jones@example.com"
	plantEnv      = "ENV-PLANT-9f3e1"
)

func TestMessageCutsPlantedSecrets(t *testing.T) {
	tests := []struct {
		name, in string
		secrets  []string
		gone     []string
		keep     []string
	}{
		{name: "URL credentials",
			in:   "state store unreachable (postgres://shop:" + plantPassword + "@db.internal:5432/state): dial tcp: refused",
			gone: []string{plantPassword, "shop:"}, keep: []string{"db.internal:5432/state", "refused"}},
		{name: "keyword DSN",
			in:   "cannot parse `host=db user=shop password=" + plantPassword + " dbname=x`: failed",
			gone: []string{plantPassword}, keep: []string{"host=db", "failed"}},
		{name: "environment dump with NUL separators",
			in:   "datasource file environ: column \"PATH=/usr/bin\x00RETENTION_STATE_STORE=postgres://u:" + plantPassword + "@h/db\x00PLANTED=" + plantEnv + "\" not found",
			gone: []string{plantPassword, plantEnv, "\x00"}, keep: []string{"not found", "RETENTION_STATE_STORE="}},
		{name: "email in a cell",
			in:   `datasource file customers.csv line 4: consent_email: "` + plantEmail + `" is not a boolean`,
			gone: []string{plantEmail, "bob.jones"}, keep: []string{"customers.csv line 4", "consent_email", "is not a boolean"}},
		{name: "phone number",
			in:   `line 7: "+1 (555) 010-9999" is not a boolean; also 555-010-9999`,
			gone: []string{"010-9999"}, keep: []string{"line 7", "is not a boolean"}},
		{name: "explicit secret that has no recognisable shape",
			in: "state store: open " + plantPassword + ": no such file", secrets: []string{plantPassword},
			gone: []string{plantPassword}, keep: []string{"no such file"}},
		{name: "password of a known URL quoted alone",
			in:      "auth failed for password " + plantPassword,
			secrets: []string{"postgres://u:" + plantPassword + "@h:5432/db"},
			gone:    []string{plantPassword}, keep: []string{"auth failed"}},
		{name: "short explicit password",
			in: "FATAL: password authentication failed (pw k9x)", secrets: []string{"k9x"},
			gone: []string{"k9x"}, keep: []string{"password authentication failed"}},
		{name: "ordinary messages pass unchanged",
			in:   `datasource file orders.csv line 12: timestamp "2024-13-01" does not match layout 2006-01-02; token: file not found`,
			keep: []string{`datasource file orders.csv line 12: timestamp "2024-13-01" does not match layout 2006-01-02; token: file not found`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Message(tt.in, tt.secrets...)
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("Message kept %q: %q", g, got)
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(got, k) {
					t.Errorf("Message lost %q: %q", k, got)
				}
			}
		})
	}
}

// The values of the Secret-fed environment variables are cut even when the
// error quotes them bare (a state-store value that is not a URL).
func TestMessageCutsSecretEnvValues(t *testing.T) {
	t.Setenv("RETENTION_STATE_STORE", plantPassword)
	t.Setenv("RETENTION_DATASOURCE_DSN", "host=db password="+plantEnv)
	err := fmt.Errorf("wrapped: %w", errors.New("open "+plantPassword+" and "+plantEnv))
	got := Error(err)
	if strings.Contains(got, plantPassword) || strings.Contains(got, plantEnv) {
		t.Errorf("Error kept a Secret-fed environment value: %q", got)
	}
	if !strings.HasPrefix(got, "wrapped: open "+Secret) {
		t.Errorf("Error = %q, want the message around the cut value kept", got)
	}
}

func TestMessageIsBounded(t *testing.T) {
	in := strings.Repeat("é", 4000) + "\xff\xfe"
	got := Message(in)
	if len(got) > MaxLen || !strings.HasSuffix(got, "(truncated)") || !strings.Contains(got, "é") {
		t.Errorf("len %d, suffix %q", len(got), got[len(got)-20:])
	}
	if Error(nil) != "" {
		t.Error("Error(nil) is not empty")
	}
}
