package cmd

import (
	"bufio"
	"context"
	"encoding/base64"
	"net/http"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// A track event posted to a running `worker ingest` triggers a Playbook with
// `trigger: {event: {type: cart_updated}}` in `worker campaign` over the same
// PostgreSQL state store: only the customer who sent it gets the message,
// and an event of another type triggers nothing.
func TestIngestedEventTriggersPlaybook(t *testing.T) {
	dsn := testdb.Postgres(t)
	pb := cartPlaybook("cart")
	r := newLocalRun(t, pb).sharing(dsn)

	addr, cmd := startShopIngest(t, dsn, "wk_trigger", pb)
	body := `{"batch":[
		{"type":"track","messageId":"t1","userId":"a","event":"cart_updated","properties":{"items":["mug"]}},
		{"type":"track","messageId":"t2","userId":"b","event":"page_viewed"}]}`
	if code := postIngest(t, addr, "/v1/batch", "wk_trigger", body); code != 200 {
		t.Fatalf("batch answered %d", code)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	r.runMetricJob(t)
	stdout, lines := r.campaignOnce(t, 1)
	if len(lines) != 1 || !strings.Contains(lines[0], `to=a*** subject="Your cart"`) {
		t.Errorf("sent %q, want one message to a", stdout)
	}
}

// A track event enrols an event-triggered playbook within seconds, not on
// the next poll: the campaign worker polls once a minute here, and the
// ingestion API's PostgreSQL notification wakes it.
func TestIngestedEventEnrolsWithinSeconds(t *testing.T) {
	dsn := testdb.Postgres(t)
	pb := cartPlaybook("cart-now")
	r := newLocalRun(t, pb).sharing(dsn)
	addr, ingest := startShopIngest(t, dsn, "wk_realtime", pb)
	defer func() { _ = ingest.Process.Kill(); _ = ingest.Wait() }()
	track := func(id, user string) {
		body := `{"messageId":"` + id + `","userId":"` + user + `","event":"cart_updated"}`
		if code := postIngest(t, addr, "/v1/track", "wk_realtime", body); code != 200 {
			t.Fatalf("track answered %d", code)
		}
	}
	r.runMetricJob(t)
	track("first", "b") // the first tick's message says the worker is running

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := r.startCampaign(t, ctx, "1m")
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(within time.Duration) (string, time.Duration) {
		start := time.Now()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("campaign worker stopped\n%s", stderr.String())
			}
			return l, time.Since(start)
		case <-time.After(within):
			t.Fatalf("no message within %v\n%s", within, stderr.String())
		}
		return "", 0
	}
	if l, _ := next(60 * time.Second); !strings.Contains(l, "to=b***") {
		t.Fatalf("first message %q, want to b", l)
	}
	time.Sleep(500 * time.Millisecond) // the worker is back to waiting for its next poll
	track("second", "a")
	l, took := next(10 * time.Second)
	if !strings.Contains(l, `to=a*** subject="Your cart"`) {
		t.Fatalf("message %q, want to a", l)
	}
	if took > 5*time.Second {
		t.Errorf("a's message came %v after the 200 of /v1/track, want within 5 s (the poll interval is 1 min)", took)
	}
	t.Logf("track 200 to message on stdout: %v", took)
}

// An identify posted to the ingestion API changes what the metric job and
// the campaign worker see: customer c, without consent in the data source,
// gives consent and a new address by identify and gets the message, whose
// template shows the new address; a, b and d are unchanged.
func TestIdentifyTraitsReachConsentAndTemplates(t *testing.T) {
	dsn := testdb.Postgres(t)
	pb := welcomePlaybook()
	pb.Segment.DataSource.Ingest = &v1alpha1.IngestSpec{WriteKeySecretRef: v1alpha1.SecretKeySelector{Name: "k", Key: "writeKey"}}
	// The console channel prints the subject: the template shows the address.
	pb.Spec.Steps[0].Send.Template.Subject = "For {{.email}}"
	r := newLocalRun(t, pb).sharing(dsn)
	addr, ingest := startShopIngest(t, dsn, "wk_traits", pb)
	body := `{"messageId":"i1","userId":"c","traits":{"email":"zed@example.com","consentEmail":true}}`
	code := postIngest(t, addr, "/v1/identify", "wk_traits", body)
	_ = ingest.Process.Kill()
	_ = ingest.Wait()
	if code != 200 {
		t.Fatalf("identify answered %d", code)
	}

	r.runMetricJob(t)
	_, lines := r.campaignOnce(t, 1)
	var sent []string
	for _, l := range lines {
		if i := strings.Index(l, "to="); i >= 0 {
			f := strings.Fields(l[i+3:])
			sent = append(sent, f[0]+" "+f[1]+" "+f[2])
		}
	}
	sort.Strings(sent)
	want := []string{`a*** subject="For a@example.com"`, `b*** subject="For b@example.com"`,
		`c*** subject="For zed@example.com"`, `d*** subject="For d@example.com"`}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %q, want %q: c by its identify (consent, address)", sent, want)
	}
}

// cartPlaybook is the welcome playbook named name, triggered by a
// cart_updated event instead, with the subject "Your cart".
func cartPlaybook(name string) apiPlaybook {
	pb := welcomePlaybook()
	pb.Name = name
	pb.Spec.Trigger = v1alpha1.Trigger{Event: &v1alpha1.EventTrigger{Type: "cart_updated"}}
	pb.Spec.Steps[0].Send.Template = v1alpha1.MessageTemplate{Subject: "Your cart", Body: "Still thinking?"}
	return pb
}

// startShopIngest starts `worker ingest` over the state store dsn for pb's
// data source, with the write key key, and returns its address and process.
func startShopIngest(t *testing.T, dsn, key string, pb apiPlaybook) (string, *exec.Cmd) {
	t.Helper()
	addr := freeAddr(t)
	return addr, runIngestWorker(t, dsn, writeKeyFile(t, key), addr, "shop/"+pb.Segment.Spec.DataSourceRef.Name)
}

// postIngest posts body to path of the ingestion API at addr with the write
// key key (HTTP Basic, as the Segment libraries send it) and returns the
// status code.
func postIngest(t *testing.T, addr, path, key, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	code, _ := do(t, req)
	return code
}
