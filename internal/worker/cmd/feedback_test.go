package cmd

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/feedback"
	"github.com/retention-dev/retention-operator/internal/feedback/providerwebhook"
	"github.com/retention-dev/retention-operator/internal/store"
)

// `worker feedback` as a pod runs it: keys from a mounted Secret directory,
// the state store and namespace from the environment. A signed SendGrid
// hard bounce suppresses the address in the state store; one signed with
// another key is refused; the log holds neither the address nor the key;
// SIGTERM stops it cleanly.
func TestFeedbackCommandServesSignedWebhooks(t *testing.T) {
	dir := t.TempDir()
	sg, err := providerwebhook.NewSendGridKey()
	if err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(dir, "secrets")
	if err := os.MkdirAll(secrets, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secrets, feedback.SendGridKeySecret), append(sg.Public, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	state := "sqlite:" + filepath.Join(dir, "state.db")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, workerBin, "feedback", "--listen="+addr, "--providers=sendgrid", "--secrets="+secrets)
	cmd.Env = append(os.Environ(), contract.EnvNamespace+"=shop", contract.EnvStateStore+"="+state)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("feedback server did not come up; log:\n%s", logs.String())
		}
	}
	now := time.Now()
	ev := providerwebhook.SendGridEvent{Email: "gone@example.com", Timestamp: now.Unix(), Event: "bounce", Type: "bounce", SGEventID: "sg-1"}
	other, _ := providerwebhook.NewSendGridKey()
	forged, _ := providerwebhook.SendGridRequest(base+"/feedback/sendgrid", other, now, ev)
	if code, body, err := providerwebhook.Post(forged); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("forged: %d %s %v, want 401", code, body, err)
	}
	signed, _ := providerwebhook.SendGridRequest(base+"/feedback/sendgrid", sg, now, ev)
	if code, body, err := providerwebhook.Post(signed); err != nil || code != http.StatusOK || !strings.Contains(body, `"suppressed":1`) {
		t.Fatalf("signed: %d %s %v", code, body, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; log:\n%s", err, logs.String())
	}
	for _, leak := range []string{"gone@example.com", string(sg.Public)} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("log holds %q:\n%s", leak, logs.String())
		}
	}
	db, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.SuppressedAddresses(context.Background(), "shop", []string{"gone@example.com"})
	if err != nil || got["gone@example.com"] != store.SuppressedBounced {
		t.Fatalf("suppressed %v %v, want bounced", got, err)
	}
}

// Missing configuration is refused naming what to set, before listening.
func TestFeedbackCommandConfigErrors(t *testing.T) {
	run := func(env []string, args ...string) string {
		cmd := exec.Command(workerBin, append([]string{"feedback", "--listen=127.0.0.1:0"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%v %v: no error", env, args)
		}
		return string(out)
	}
	if out := run(nil, "--secrets="+t.TempDir()); !strings.Contains(out, contract.EnvNamespace) {
		t.Errorf("no namespace: %s", out)
	}
	if out := run([]string{contract.EnvNamespace + "=shop"}, "--providers=mailgun", "--secrets="+t.TempDir()); !strings.Contains(out, feedback.MailgunKeySecret) {
		t.Errorf("no mailgun key: %s", out)
	}
	if out := run([]string{contract.EnvNamespace + "=shop"}, "--providers=ses", "--secrets="+t.TempDir()); !strings.Contains(out, "not supported") {
		t.Errorf("ses: %s", out)
	}
}
