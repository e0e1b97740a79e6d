// Command eventload measures event-to-send latency through the shipped
// binaries: it lays out a campaign worker's container filesystem under a
// local root (as `retentionctl dev` does), runs the Segment's metric job once,
// starts `worker ingest` and `worker campaign` with their default flags
// against one PostgreSQL state store, and a signed-webhook receiver on
// loopback. Then it posts one /v1/track per distinct user (every one a
// segment member with webhook consent) at -rate per second for -duration,
// and measures, per event, from the 2xx of /v1/track to the receiver getting
// that user's message. It prints count, p50, p95, p99, max, and the lost
// (acknowledged, never messaged) and duplicated (more than one request for a
// user) messages. hack/bench-event-to-send.sh builds and runs it.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/store/sqldb"
	"github.com/retention-dev/retention-operator/internal/workload"
)

type config struct {
	worker, store, data string
	dir                 string
	rate                int
	duration, drain     time.Duration
	concurrency         int
	writeKey, eventType string
}

func main() {
	var c config
	flag.StringVar(&c.worker, "worker", "", "path of the built worker binary")
	flag.StringVar(&c.store, "store", "", "PostgreSQL state store URL (a fresh database)")
	flag.StringVar(&c.data, "data", "", "PostgreSQL URL of the DataSource's database (a fresh one: the customers are written into it)")
	flag.StringVar(&c.dir, "dir", "", "work directory (the local root is made inside it)")
	flag.IntVar(&c.rate, "rate", 1000, "events per second offered")
	flag.DurationVar(&c.duration, "duration", 40*time.Second, "how long to offer events")
	flag.DurationVar(&c.drain, "drain", 60*time.Second, "how long to wait for the last messages after the load")
	flag.IntVar(&c.concurrency, "concurrency", 64, "connections posting /v1/track")
	flag.Parse()
	c.writeKey, c.eventType = "wk_bench_event_to_send", "cart_updated"
	if c.worker == "" || c.store == "" || c.data == "" || c.dir == "" {
		fmt.Fprintln(os.Stderr, "eventload: -worker, -store, -data and -dir are required")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "eventload:", err)
		os.Exit(1)
	}
}

func userID(i int) string { return fmt.Sprintf("u%07d", i) }

func run(c config) error {
	users := c.rate * int(c.duration/time.Second)
	root := filepath.Join(c.dir, "root")
	recv := newReceiver()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // closed on return
	defer srv.Close()
	if err := layout(root, c, "http://"+ln.Addr().String()+"/hook"); err != nil {
		return err
	}
	if err := writeCustomers(c.data, users+1); err != nil {
		return err
	}
	env := append(os.Environ(), workload.LocalRootEnv+"="+root, contract.EnvNamespace+"=bench",
		contract.EnvReportFile+"="+filepath.Join(root, "report.json"), contract.EnvStateStore+"="+c.store,
		contract.EnvDataSourceDSN+"="+c.data)

	fmt.Printf("== metric job (segment of %d customers)\n", users+1)
	metrics := exec.Command(c.worker, "metrics", "--spec="+segmentSpecFile)
	metrics.Env = env
	if out, err := metrics.CombinedOutput(); err != nil {
		return fmt.Errorf("metric job: %v\n%s", err, out)
	}
	ingestAddr, err := freeAddr()
	if err != nil {
		return err
	}
	keyFile := filepath.Join(c.dir, "writeKey")
	if err := os.WriteFile(keyFile, []byte(c.writeKey), 0o600); err != nil {
		return err
	}
	ingest, err := start(c.worker, env, filepath.Join(c.dir, "ingest.log"), "ingest", "--listen="+ingestAddr,
		"--source=bench/web", "--write-key-file="+keyFile)
	if err != nil {
		return err
	}
	defer stop(ingest)
	campaign, err := start(c.worker, env, filepath.Join(c.dir, "campaign.log"), "campaign", "--spec="+workload.SpecFile)
	if err != nil {
		return err
	}
	defer stop(campaign)
	base := "http://" + ingestAddr
	if err := waitReady(base + "/readyz"); err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency, MaxConnsPerHost: c.concurrency},
		Timeout: 30 * time.Second}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(c.writeKey+":"))
	post := func(user, id string) (time.Time, error) {
		body := fmt.Sprintf(`{"messageId":%q,"userId":%q,"event":%q,"properties":{"sku":"mug"}}`, id, user, c.eventType)
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/track", bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return time.Time{}, err
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		at := time.Now()
		if resp.StatusCode/100 != 2 {
			return time.Time{}, fmt.Errorf("track answered %d", resp.StatusCode)
		}
		return at, nil
	}

	// Warm-up: the campaign worker's first tick reads the membership; one
	// event and its message say it is running before the clock starts.
	fmt.Println("== warm-up: waiting for the campaign worker's first message")
	if _, err := post(userID(0), "warmup"); err != nil {
		return err
	}
	if !recv.waitFor(userID(0), 3*time.Minute) {
		return fmt.Errorf("no message for the warm-up event within 3m; see %s", filepath.Join(c.dir, "campaign.log"))
	}

	fmt.Printf("== load: %d events/s for %s (%d distinct users), %d connections; load average %s\n",
		c.rate, c.duration, users, c.concurrency, loadAvg())
	acks := make([]time.Time, users+1)
	var failed, late int
	var mu sync.Mutex
	jobs := make(chan int, users)
	var wg sync.WaitGroup
	for w := 0; w < c.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				at, err := post(userID(i), fmt.Sprintf("ev-%d", i))
				mu.Lock()
				if err != nil {
					failed++
				} else {
					acks[i] = at
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	interval := time.Second / time.Duration(c.rate)
	for i := 1; i <= users; i++ {
		due := start.Add(time.Duration(i-1) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		} else if -d > time.Second {
			late++ // the poster fell behind by more than a second
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	offered := time.Since(start)
	fmt.Printf("posted %d events in %s (%.0f/s), %d failed, %d more than 1 s behind schedule; load average %s\n",
		users, offered.Round(time.Millisecond), float64(users)/offered.Seconds(), failed, late, loadAvg())

	deadline := time.Now().Add(c.drain)
	for time.Now().Before(deadline) && recv.count(1, users) < users-failed {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // late duplicates, if any
	return summarize(recv, acks, users)
}

func summarize(recv *receiver, acks []time.Time, users int) error {
	recv.mu.Lock()
	defer recv.mu.Unlock()
	var lat []time.Duration
	var lost, dup, early int
	for i := 1; i <= users; i++ {
		if acks[i].IsZero() {
			continue
		}
		got := recv.times[userID(i)]
		switch {
		case len(got) == 0:
			lost++
			continue
		case len(got) > 1:
			dup += len(got) - 1
		}
		d := got[0].Sub(acks[i])
		if d < 0 {
			early++ // the message raced the 200 back to the poster
			d = 0
		}
		lat = append(lat, d)
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("event-to-send: count=%d p50=%s p95=%s p99=%s max=%s lost=%d duplicated=%d (message before the 200: %d)\n",
		len(lat), pct(0.50).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), pct(0.99).Round(time.Millisecond),
		pct(1).Round(time.Millisecond), lost, dup, early)
	fmt.Printf("load average %s\n", loadAvg())
	if lost > 0 || dup > 0 || recv.unsigned > 0 {
		return fmt.Errorf("%d lost, %d duplicated, %d refused for their signature", lost, dup, recv.unsigned)
	}
	return nil
}

// signingSecret is the webhook Channel's signing secret: layout mounts it for
// the worker and the receiver checks every request against it.
const signingSecret = "bench-signing-secret"

// receiver is the webhook endpoint: per customer, the times its messages
// arrived. It checks each request's signature as a real receiver would
// (channel.VerifySignature) and refuses an unsigned or badly signed one, so a
// broken signature shows as a failed run, not as a fast one.
type receiver struct {
	mu       sync.Mutex
	times    map[string][]time.Time
	unsigned int // requests refused for their signature
}

func newReceiver() *receiver { return &receiver{times: map[string][]time.Time{}} }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	at := time.Now()
	if err := channel.VerifySignature([]byte(signingSecret), req.Header.Get(channel.SignatureHeader), body,
		5*time.Minute, at); err != nil {
		r.mu.Lock()
		r.unsigned++
		r.mu.Unlock()
		http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	var p struct {
		Metadata channel.Metadata `json:"metadata"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Metadata.CustomerID == "" {
		http.Error(w, "no metadata.customer_id", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.times[p.Metadata.CustomerID] = append(r.times[p.Metadata.CustomerID], at)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) waitFor(user string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		n := len(r.times[user])
		r.mu.Unlock()
		if n > 0 {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// count is how many of users from..to have a message.
func (r *receiver) count(from, to int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for i := from; i <= to; i++ {
		if len(r.times[userID(i)]) > 0 {
			n++
		}
	}
	return n
}

var segmentSpecFile = filepath.Join(filepath.Dir(workload.SpecFile), "segment-spec.json")

// layout writes what the pods would have mounted: the playbook's and its
// segment's specs and the webhook's signing secret. The DataSource is
// PostgreSQL (its DSN in the environment, as the pod's secretKeyRef gives
// it): a file source re-reads its whole file for every customer lookup at
// send time, which is not what a production source does.
func layout(root string, c config, hookURL string) error {
	ds := &v1alpha1.DataSource{Spec: v1alpha1.DataSourceSpec{Postgres: &v1alpha1.PostgresSource{
		DSNSecretRef: v1alpha1.SecretKeySelector{Name: "web-db", Key: "dsn"}}}}
	ds.Namespace, ds.Name = "bench", "web"
	segment := &v1alpha1.Segment{Spec: v1alpha1.SegmentSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "web"},
		Criteria: `customer.email != ""`}}
	segment.Namespace, segment.Name = "bench", "everyone"
	hook := &v1alpha1.Channel{Spec: v1alpha1.ChannelSpec{Webhook: &v1alpha1.WebhookChannel{URL: hookURL,
		SigningSecretRef: v1alpha1.SecretKeySelector{Name: "hook", Key: "hmac"}}}}
	hook.Namespace, hook.Name = "bench", "hook"
	playbook := &v1alpha1.Playbook{Spec: v1alpha1.PlaybookSpec{SegmentRef: v1alpha1.LocalObjectReference{Name: "everyone"},
		Trigger: v1alpha1.Trigger{Event: &v1alpha1.EventTrigger{Type: c.eventType}},
		Steps: []v1alpha1.Step{{Name: "nudge", Send: &v1alpha1.SendStep{ChannelRef: v1alpha1.LocalObjectReference{Name: "hook"},
			Template: v1alpha1.MessageTemplate{Subject: "Your cart", Body: "Still thinking, {{.id}}?"}}}}}}
	playbook.Namespace, playbook.Name = "bench", "cart"
	// The specs as the controllers render them: mapped once by specmap.
	segCfg, err := specmap.Segment(&segment.Spec)
	if err != nil {
		return err
	}
	seg, err := specmap.SegmentWorker(segment, segCfg, ds, nil)
	if err != nil {
		return err
	}
	journeyCfg, err := specmap.Playbook(playbook.Namespace, playbook.Name, &playbook.Spec)
	if err != nil {
		return err
	}
	pb, err := specmap.PlaybookWorker(playbook, journeyCfg, specmap.PlaybookInputs{Segment: segment, DataSource: ds,
		Channels: map[string]*v1alpha1.Channel{"hook": hook}})
	if err != nil {
		return err
	}
	for path, spec := range map[string]any{workload.SpecFile: pb, segmentSpecFile: seg} {
		data, err := contract.Render(spec)
		if err != nil {
			return err
		}
		if err := write(root, path, []byte(data["spec.json"])); err != nil {
			return err
		}
	}
	return write(root, workload.SecretsDir+"/channels/hook/hmac", []byte(signingSecret+"\n"))
}

// writeCustomers creates the default tables (datasource.Schema) in the data
// database and n customers u0000000..., each with an e-mail (the segment's
// criteria) and webhook consent.
func writeCustomers(url string, n int) error {
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range strings.Split(datasource.Schema(sqldb.Postgres), ";\n") {
		if _, err := db.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("data schema: %w", err)
		}
	}
	_, err = db.Exec(ctx, `INSERT INTO customers (id, email, created_at, attributes)
		SELECT 'u' || lpad(i::text, 7, '0'), 'u' || lpad(i::text, 7, '0') || '@example.com', now() - interval '1 year',
			'{"consentWebhook": "true"}'::jsonb
		FROM generate_series(0, $1::int - 1) AS i`, n)
	if err != nil {
		return fmt.Errorf("customers: %w", err)
	}
	return nil
}

func write(root, containerPath string, data []byte) error {
	path := filepath.Join(root, containerPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

func start(bin string, env []string, logFile string, args ...string) (*exec.Cmd, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func waitReady(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within 30s", url)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(b) < 14 {
		return "?"
	}
	f := bytes.Fields(b)
	return string(bytes.Join(f[:3], []byte(" ")))
}
