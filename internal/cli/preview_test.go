package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/journey"
)

// previewFixture writes a Playbook, Segment, DataSource and Channel, and a
// CSV data directory of six customers:
//
//	id  orders consent_email   member (frequency >= 2)
//	a1  3      true            yes
//	a2  2      false           yes (suppressed)
//	a3  1      true            no
//	a4  2      true            yes
//	a5  0      true            no
//	a6  4      true            yes
func previewFixture(t *testing.T, holdout string) (dir string) {
	dir = t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("playbook.yaml", `apiVersion: retention.dev/v1alpha1
kind: Playbook
metadata: {name: p, namespace: shop}
spec:
  segmentRef: {name: repeat}
  trigger: {segmentEntry: {}}
  holdoutPercent: `+holdout+`
  steps:
    - name: hello
      send:
        channelRef: {name: mail}
        template: {subject: "Thanks", body: "Hi {{.email}}, you ordered {{.frequency}} times"}
    - name: done
      exit: {}
`)
	write("segment.yaml", `apiVersion: retention.dev/v1alpha1
kind: Segment
metadata: {name: repeat, namespace: shop}
spec:
  dataSourceRef: {name: files}
  criteria: customer.frequency >= 2
`)
	write("datasource.yaml", `apiVersion: retention.dev/v1alpha1
kind: DataSource
metadata: {name: files, namespace: shop}
spec:
  file: {format: CSV, path: /var/lib/shop}
`)
	write("channels.yaml", `apiVersion: retention.dev/v1alpha1
kind: Channel
metadata: {name: mail, namespace: shop}
spec:
  smtp: {host: smtp.example, port: 587, from: shop@example.com}
`)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range previewShopCSV() {
		write("data/"+name, body)
	}
	return dir
}

// previewShopCSV is the data of previewFixture's six customers, by file.
func previewShopCSV() map[string]string {
	customers := `id,email,timezone,created_at,attributes,consent_email,consent_sms
a1,a1.jones@shop.example,Europe/Berlin,2025-01-01T00:00:00Z,{},true,false
a2,a2@shop.example,Europe/Berlin,2025-01-01T00:00:00Z,{},false,false
a3,a3@shop.example,Europe/Berlin,2025-01-01T00:00:00Z,{},true,false
a4,a4@shop.example,Europe/Berlin,2025-01-01T00:00:00Z,{},true,false
a5,a5@shop.example,Europe/Berlin,2025-01-01T00:00:00Z,{},true,false
a6,a6@shop.example,Europe/Berlin,2025-01-01T00:00:00Z,{},true,false
`
	orders := "customer_id,order_id,amount,occurred_at\n"
	for id, n := range map[string]int{"a1": 3, "a2": 2, "a3": 1, "a4": 2, "a6": 4} {
		for i := 0; i < n; i++ {
			orders += id + "," + id + "-" + string(rune('0'+i)) + ",10.00,2025-0" + string(rune('2'+i)) + "-01T00:00:00Z\n"
		}
	}
	return map[string]string{"customers.csv": customers, "orders.csv": orders}
}

func previewArgs(dir string, extra ...string) []string {
	return append([]string{"preview", "-f", filepath.Join(dir, "playbook.yaml"), "--segment", filepath.Join(dir, "segment.yaml"),
		"--datasource", filepath.Join(dir, "datasource.yaml"), "--channels", filepath.Join(dir, "channels.yaml"),
		"--data", filepath.Join(dir, "data"), "--as-of", "2025-12-01"}, extra...)
}

func TestPreviewCountsAndSamples(t *testing.T) {
	dir := previewFixture(t, "0")
	out, _, err := runCLI(t, previewArgs(dir, "--sample", "2", "-o", "json")...)
	var r previewResult
	decodeOutput(t, out, err, &r)
	if r.Scanned != 6 || r.Audience != 4 || r.Holdout != 0 || r.Treatment != 4 || r.ConsentSuppressed != 1 {
		t.Errorf("scanned %d audience %d holdout %d treatment %d suppressed %d; want 6 4 0 4 1",
			r.Scanned, r.Audience, r.Holdout, r.Treatment, r.ConsentSuppressed)
	}
	if len(r.Steps) != 1 || r.Steps[0] != (previewStep{Step: "hello", Channel: "mail", Kind: "email", WouldSend: 3, Suppressed: 1}) {
		t.Errorf("steps %+v", r.Steps)
	}
	// First two treatment customers by id with consent: a1, a4 (a2 has none).
	want := []previewSample{
		{CustomerID: "a1", Step: "hello", Channel: "mail", To: "a*******@s***.example", Subject: "Thanks", Body: "Hi a*******@s***.example, you ordered 3 times"},
		{CustomerID: "a4", Step: "hello", Channel: "mail", To: "a*@s***.example", Subject: "Thanks", Body: "Hi a*@s***.example, you ordered 2 times"},
	}
	if len(r.Samples) != 2 || r.Samples[0] != want[0] || r.Samples[1] != want[1] {
		t.Errorf("samples %+v\nwant %+v", r.Samples, want)
	}
	// The table output says the same.
	out, _, err = runCLI(t, previewArgs(dir, "--sample", "1")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"audience  4", "treatment  4", "hello      mail     email  3           1",
		"--- a1  step hello via mail to a*******@s***.example\nSubject: Thanks\nHi a*******@s***.example, you ordered 3 times"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestPreviewHoldoutSplit(t *testing.T) {
	dir := previewFixture(t, "50")
	out, _, err := runCLI(t, previewArgs(dir, "--sample", "4", "-o", "json")...)
	var r previewResult
	decodeOutput(t, out, err, &r)
	// The worker's assignment for each member decides the split.
	held := map[string]bool{}
	for _, id := range []string{"a1", "a2", "a4", "a6"} {
		held[id] = journey.InHoldout("shop/p", id, 50)
	}
	nHeld := int64(0)
	for _, h := range held {
		if h {
			nHeld++
		}
	}
	if r.Audience != 4 || r.Holdout != nHeld || r.Treatment != 4-nHeld {
		t.Errorf("audience %d holdout %d treatment %d; want 4 %d %d", r.Audience, r.Holdout, r.Treatment, nHeld, 4-nHeld)
	}
	for _, s := range r.Samples {
		if held[s.CustomerID] {
			t.Errorf("sample for holdout customer %s: holdout customers are never messaged", s.CustomerID)
		}
	}
}

func TestPreviewRejectsInvalidPlaybook(t *testing.T) {
	dir := previewFixture(t, "80")
	_, errOut, err := runCLI(t, previewArgs(dir)...)
	if err == nil || !strings.Contains(errOut, "spec.holdoutPercent") {
		t.Errorf("err %v, stderr %q", err, errOut)
	}
}

// TestPreviewSamplesDemoData previews a shipped Playbook over the demo data
// ConfigMap (unpacked from the manifest): every customer row is scanned.
func TestPreviewSamplesDemoData(t *testing.T) {
	raw, err := os.ReadFile("../../config/samples/03-demo-data.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// customers.csv rows: the lines between its key and the next key, minus the header.
	text := string(raw)
	start := strings.Index(text, "customers.csv: |")
	from := start + len("customers.csv: |")
	end := strings.Index(text[from:], ".csv: |") + from
	// newlines from the key line to the next key's line, minus the header and the next key's own line
	rows := strings.Count(text[start:end], "\n") - 2
	s := "../../config/samples/"
	out, _, err := runCLI(t, "preview", "-f", s+"50-playbooks.yaml", "--name", "at-risk-winback", "--segment", s+"30-segments.yaml",
		"--datasource", s+"10-datasource.yaml", "--datasource", s+"03-demo-data.yaml", "--channels", s+"20-channels.yaml",
		"--as-of", "2026-11-01", "-o", "json")
	var r previewResult
	decodeOutput(t, out, err, &r)
	if r.Scanned != int64(rows) || r.Audience == 0 || r.Audience != r.Holdout+r.Treatment || len(r.Samples) == 0 {
		t.Errorf("scanned %d (want %d), audience %d = holdout %d + treatment %d, %d samples", r.Scanned, rows, r.Audience, r.Holdout, r.Treatment, len(r.Samples))
	}
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"jane.doe@example.com": "j*******@e******.com", "a@b.co": "a@b.co", "x@localhost": "x@l********", // mail: local part and domain
		"+491701234567": "***********67", "12": "**", "": "", // others: starred but the last two runes, all when that short
	} {
		if got := maskAddress(in); got != want {
			t.Errorf("maskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// The abandoned-cart sample's reminder names the cart's items: preview
// renders it with the properties given by --event, and without them says
// how to give them instead of failing with text/template's message alone.
func TestPreviewEventTemplate(t *testing.T) {
	s := "../../config/samples/"
	args := []string{"preview", "-f", s + "56-playbooks-events.yaml", "--name", "abandoned-cart", "--segment", s + "30-segments.yaml",
		"--datasource", s + "10-datasource.yaml", "--datasource", s + "03-demo-data.yaml", "--channels", s + "20-channels.yaml",
		"--as-of", "2026-11-01", "-o", "json", "--sample", "1"}
	_, _, err := runCLI(t, args...)
	if err == nil || !strings.Contains(err.Error(), "--event") {
		t.Fatalf("without --event: err %v, want one naming --event", err)
	}
	out, _, err := runCLI(t, append(args, "--event", `{"total":54.5,"items":[{"name":"Blue Mug"},{"name":"Tea Sampler"}]}`)...)
	var r previewResult
	decodeOutput(t, out, err, &r)
	if len(r.Samples) != 1 || r.Samples[0].Body != "Still thinking it over? Your cart holds Blue Mug, Tea Sampler. It is saved for you." {
		t.Fatalf("samples %+v", r.Samples)
	}
	if _, _, err := runCLI(t, append(args, "--event", `[1]`)...); err == nil || !strings.Contains(err.Error(), "--event: want a JSON object") {
		t.Fatalf("--event [1]: %v", err)
	}
}
