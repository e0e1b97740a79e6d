package cmd

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/workload"
)

// Senders read their Secrets where the controller mounts them
// (SecretsDir/channels/<channel>/<key>, under the local root here): the
// webhook signs with the mounted key, the console prints to the worker's
// stdout, and each channel gets its consent kind.
func TestChannelSenders(t *testing.T) {
	root := t.TempDir()
	r := &localRun{root: root}
	r.write(t, workload.SecretsDir+"/channels/hook/hmac", "hook-secret\n")

	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		got <- req
		bodies <- b
	}))
	defer srv.Close()

	var stdout bytes.Buffer
	g := &globals{stdout: &stdout, logger: slog.New(slog.DiscardHandler), paths: workload.Paths{Root: root}}
	senders, kinds, err := channelSenders(workerChannels(t, map[string]v1alpha1.ChannelSpec{
		"hook":    {Webhook: &v1alpha1.WebhookChannel{URL: srv.URL, SigningSecretRef: v1alpha1.SecretKeySelector{Name: "s", Key: "hmac"}}},
		"console": {Console: &v1alpha1.ConsoleChannel{}},
	}), g)
	if err != nil {
		t.Fatal(err)
	}
	if kinds["hook"] != journey.KindWebhook || kinds["console"] != journey.KindConsole {
		t.Errorf("kinds %v", kinds)
	}
	msg := channel.Message{IdempotencyKey: "k1", To: "cust-1", Subject: "Hi", Body: "hello"}
	if err := senders["hook"].Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	req, body := <-got, <-bodies
	if err := channel.VerifySignature([]byte("hook-secret"), req.Header.Get(channel.SignatureHeader), body, time.Minute, time.Now()); err != nil {
		t.Errorf("webhook not signed with the mounted key: %v", err)
	}
	if err := senders["console"].Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), `[console] to=c*** subject="Hi"`) {
		t.Errorf("console wrote %q", stdout.String())
	}

	// A channel whose Secret key is not mounted fails at start, naming both.
	_, _, err = channelSenders(workerChannels(t, map[string]v1alpha1.ChannelSpec{
		"other": {Webhook: &v1alpha1.WebhookChannel{URL: srv.URL, SigningSecretRef: v1alpha1.SecretKeySelector{Name: "s", Key: "hmac"}}},
	}), g)
	if err == nil || !strings.Contains(err.Error(), "channel other") || !strings.Contains(err.Error(), `secret "hmac" is missing`) {
		t.Errorf("error %v, want the channel and the missing key named", err)
	}
}

// In a pod (no local root) a Channel may not reach the cloud metadata
// service nor loopback; in a local run loopback receivers are the user's own.
func TestChannelSendersApplyTheWebhookPolicy(t *testing.T) {
	root := t.TempDir()
	r := &localRun{root: root}
	r.write(t, workload.SecretsDir+"/channels/hook/hmac", "hook-secret\n")
	g := &globals{stdout: io.Discard, logger: slog.New(slog.DiscardHandler)}
	hook := func(url string) map[string]contract.Channel {
		return workerChannels(t, map[string]v1alpha1.ChannelSpec{"hook": {Webhook: &v1alpha1.WebhookChannel{URL: url,
			SigningSecretRef: v1alpha1.SecretKeySelector{Name: "s", Key: "hmac"}}}})
	}
	g.paths = workload.Paths{Root: root}
	if _, _, err := channelSenders(hook("http://169.254.169.254/latest/meta-data/"), g); err == nil || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("metadata target in a local run: err %v, want refused", err)
	}
	if _, _, err := channelSenders(hook("http://127.0.0.1:9/hook"), g); err != nil {
		t.Errorf("loopback in a local run: %v, want allowed", err)
	}
	g.paths = workload.Paths{} // a pod
	if _, _, err := channelSenders(hook("http://127.0.0.1:9/hook"), g); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("loopback in a pod: err %v, want refused", err)
	}
}
