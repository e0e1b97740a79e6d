package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// `feedback send` posts each provider's event, signed from the secrets
// directory laid out as the feedback Secret is mounted, and the real
// feedback endpoint (built from the same directory) records it: hard bounces
// and complaints suppress, a soft bounce does not; a wrong key is refused
// and fails the command.
func TestFeedbackSendEveryProviderAndKind(t *testing.T) {
	secrets := t.TempDir()
	if out, err := runEvents(t, "feedback", "sendgrid-key", "--dir", secrets); err != nil {
		t.Fatalf("sendgrid-key: %v %s", err, out)
	}
	for key, value := range map[string]string{feedback.MailgunKeySecret: "key-cli-test",
		feedback.PostmarkUserSecret: "hooks", feedback.PostmarkPasswordSecret: "pm-cli-pass"} {
		if err := os.WriteFile(filepath.Join(secrets, key), []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	providers, err := feedback.ProvidersFromSecrets(channel.DirSecrets(secrets), []string{"sendgrid", "mailgun", "postmark"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	db := testdb.Open(t, testdb.SQLite(t), store.Open)
	if err := db.MigrateSuppressions(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(feedback.Handler(db, feedback.Options{Namespace: "shop"}, providers...))
	t.Cleanup(srv.Close)

	for _, provider := range []string{"sendgrid", "mailgun", "postmark"} {
		for kind, suppresses := range map[string]int{"hard-bounce": 1, "soft-bounce": 0, "complaint": 1} {
			email := provider + "-" + kind + "@example.com"
			out, err := runEvents(t, "feedback", "send", "--url", srv.URL, "--provider", provider,
				"--email", email, "--kind", kind, "--secrets", secrets)
			if err != nil {
				t.Fatalf("%s %s: %v %s", provider, kind, err, out)
			}
			var got struct{ Recorded, Suppressed int }
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.Recorded != 1 || got.Suppressed != suppresses {
				t.Fatalf("%s %s: answer %s (%v), want 1 recorded, %d suppressed", provider, kind, out, err, suppresses)
			}
		}
	}

	if err := os.WriteFile(filepath.Join(secrets, feedback.MailgunKeySecret), []byte("key-wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runEvents(t, "feedback", "send", "--url", srv.URL, "--provider", "mailgun", "--email", "x@example.com", "--secrets", secrets)
	if err == nil || !strings.Contains(err.Error(), "answered 401") {
		t.Fatalf("a wrongly signed event: %v %s, want the 401 as an error", err, out)
	}
	if strings.Contains(out, "key-wrong") {
		t.Fatalf("the output shows the signing key: %s", out)
	}
}
