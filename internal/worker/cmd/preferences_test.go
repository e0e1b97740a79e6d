package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/feedback/providerwebhook"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/subscription"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// The preferences subcommand, as its pod runs it: spec and key from their
// mounts, the state store from the environment. A one-click POST is
// committed to the store before the answer; the page renders without
// JavaScript; SIGTERM (a cancelled context) ends it cleanly.
func TestPreferencesCommandServesAndRecords(t *testing.T) {
	root := t.TempDir()
	t.Setenv(workload.LocalRootEnv, root)
	// A container path: the worker reads it under RETENTION_LOCAL_ROOT.
	t.Setenv(contract.EnvStateStore, "sqlite:/var/lib/retention/prefs.db")
	statePath := filepath.Join(root, "/var/lib/retention/prefs.db")
	key := bytes.Repeat([]byte("q"), 32)
	spec := apiPreferences{Namespace: "shop", Name: "mail", Spec: v1alpha1.ChannelSpec{
		SMTP: &v1alpha1.SMTPChannel{Host: "smtp.shop.example", Port: 587, From: "hello@shop.example"},
		Preferences: &v1alpha1.Preferences{PublicURL: "https://preferences.shop.example",
			SigningKeyRef: v1alpha1.SecretKeySelector{Name: "mail-preferences", Key: "signing-key"},
			Topics:        []v1alpha1.PreferenceTopic{{Name: "offers", Description: "Sales and coupons"}},
			Feedback: &v1alpha1.FeedbackWebhooks{Providers: []v1alpha1.FeedbackProvider{"mailgun"},
				SecretRef: v1alpha1.LocalObjectReference{Name: "mail-feedback"}}}}}
	b, _ := json.Marshal(spec.render(t))
	writeFile(t, filepath.Join(root, workload.SpecFile), string(b))
	writeFile(t, filepath.Join(root, workload.SecretsDir, contract.PreferencesSecretsDir, "mail", "signing-key"), string(key))
	mailgunKey := "key-for-mailgun-webhooks"
	writeFile(t, filepath.Join(root, workload.SecretsDir, contract.FeedbackSecretsDir, "mail", feedback.MailgunKeySecret), mailgunKey)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		root := NewRoot(io.Discard, io.Discard)
		root.SetArgs([]string{"preferences", "--listen", addr})
		done <- root.ExecuteContext(ctx)
	}()
	signer, _ := subscription.NewSigner(key)
	link := "http://" + addr + subscription.UnsubscribePath + signer.Token(subscription.Subject{CustomerID: "c-9", ChannelKind: "email", Topic: "offers"})
	var page string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(link)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET page: %d %s", resp.StatusCode, body)
			}
			page = string(body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(page, `<form method="post"`) || !strings.Contains(page, "Sales and coupons") || strings.Contains(page, "<script") {
		t.Fatalf("page is not a script-free form listing the topics:\n%s", page)
	}
	resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"List-Unsubscribe": {"One-Click"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click POST answered %d", resp.StatusCode)
	}
	// Read back through a handle of our own: the answer came after the commit.
	db, err := store.Open(context.Background(), "sqlite:"+statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.SubscriptionChoices(context.Background(), "shop", "c-9", "email")
	if err != nil || len(got) != 1 || got["offers"] {
		t.Fatalf("choices = %v (%v); want offers unsubscribed", got, err)
	}

	// spec.preferences.feedback: the same server takes the provider's
	// complaints, signed as Mailgun signs them; a forged one changes nothing.
	complaint := func(key string, id string) int {
		body, err := providerwebhook.MailgunBody([]byte(key), time.Now(), "tok-"+id, providerwebhook.MailgunEvent{
			Event: "complained", Recipient: "ann@example.com", Timestamp: float64(time.Now().Unix()), ID: id})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post("http://"+addr+"/feedback/mailgun", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := complaint("not-the-key", "ev-1"); code != http.StatusUnauthorized {
		t.Fatalf("forged complaint answered %d, want 401", code)
	}
	if sup, err := db.SuppressedAddresses(context.Background(), "shop", []string{"ann@example.com"}); err != nil || len(sup) != 0 {
		t.Fatalf("after a forged complaint: suppressed %v (%v)", sup, err)
	}
	if code := complaint(mailgunKey, "ev-2"); code/100 != 2 {
		t.Fatalf("signed complaint answered %d", code)
	}
	if sup, err := db.SuppressedAddresses(context.Background(), "shop", []string{"ann@example.com"}); err != nil || sup["ann@example.com"] != "complained" {
		t.Fatalf("after a signed complaint: suppressed %v (%v), want complained", sup, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("preferences returned %v after SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("preferences did not stop after its context ended")
	}
}
