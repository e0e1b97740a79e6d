package cmd

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/workerconfig"
)

// A track event posted to a running `worker ingest` triggers a Playbook with
// `trigger: {event: {type: cart_updated}}` in `worker campaign` over the same
// PostgreSQL state store: only the customer who sent it gets the message,
// and an event of another type triggers nothing.
func TestIngestedEventTriggersPlaybook(t *testing.T) {
	dsn := postgresSchemaDSN(t)
	keyFile := filepath.Join(t.TempDir(), "writeKey")
	if err := os.WriteFile(keyFile, []byte("wk_trigger"), 0o600); err != nil {
		t.Fatal(err)
	}
	pb := welcomePlaybook()
	pb.Name = "cart"
	pb.Spec.Trigger = v1alpha1.Trigger{Event: &v1alpha1.EventTrigger{Type: "cart_updated"}}
	pb.Spec.Steps[0].Send.Template = v1alpha1.MessageTemplate{Subject: "Your cart", Body: "Still thinking?"}
	r := newLocalRun(t, pb)
	r.env = append(r.env, workerconfig.EnvStateStore+"="+dsn)

	addr := freeAddr(t)
	cmd := runIngestWorker(t, dsn, keyFile, addr, "shop/"+pb.Segment.Spec.DataSourceRef.Name)
	body := `{"batch":[
		{"type":"track","messageId":"t1","userId":"a","event":"cart_updated","properties":{"items":["mug"]}},
		{"type":"track","messageId":"t2","userId":"b","event":"page_viewed"}]}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/batch", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("wk_trigger:")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("batch answered %d", resp.StatusCode)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	r.runMetricJob(t)
	stdout, stderr, err := r.run(t, "campaign", "--once", "--poll-interval=50ms")
	if err != nil {
		t.Fatalf("campaign: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `to=a*** subject="Your cart"`) {
		t.Errorf("sent %q, want one message to a", stdout)
	}
}
