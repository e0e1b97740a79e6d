// Command loyaltyload is the black-box load client of hack/bench-loyalty-api.sh.
//
//	loyaltyload setup -root DIR -members N
//	    lays out a `worker loyalty` container filesystem under DIR (the spec
//	    at workload.SpecFile, an API token, a file DataSource with one order
//	    of 100 points per member), as the controller's pod template mounts it.
//	loyaltyload fire -url URL -token-file F -members N -requests R -concurrency C -timeout D
//	    POSTs R redemptions of the 1-point reward "bench" over HTTP, request
//	    i on member i mod N (distinct members while R <= N), from C
//	    keep-alive connections, stopping at D; prints throughput and latency.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/contract"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/workload"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loyaltyload setup|fire [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(os.Args[2:])
	case "fire":
		err = fire(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q: want setup or fire", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loyaltyload:", err)
		os.Exit(1)
	}
}

func memberID(i int) string { return fmt.Sprintf("m%06d", i) }

func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	root := fs.String("root", "", "container filesystem root (RETENTION_LOCAL_ROOT of the worker)")
	members := fs.Int("members", 4000, "members to seed, one order of 100 points each")
	token := fs.String("token", "bench-api-token", "the API bearer token")
	fs.Parse(args) //nolint:errcheck // ExitOnError
	if *root == "" || *members <= 0 {
		return fmt.Errorf("setup needs -root and a positive -members")
	}
	// The worker spec as the LoyaltyProgram controller renders it.
	ds := &v1alpha1.DataSource{Spec: v1alpha1.DataSourceSpec{File: &v1alpha1.FileSource{Format: v1alpha1.FileFormatCSV,
		ConfigMapRef: &v1alpha1.ConfigMapFiles{Name: "bench-data", Keys: []string{"customers.csv", "orders.csv"}}}}}
	ds.Namespace, ds.Name = "bench", "bench"
	lp := &v1alpha1.LoyaltyProgram{Spec: v1alpha1.LoyaltyProgramSpec{DataSourceRef: v1alpha1.LocalObjectReference{Name: "bench"},
		Currency: "EUR", PointValue: "0.01", EarnRules: v1alpha1.EarnRules{PointsPerUnit: 1},
		Rewards:           []v1alpha1.Reward{{Name: "bench", Cost: 1}},
		APITokenSecretRef: v1alpha1.SecretKeySelector{Name: "rewards-api", Key: "token"}}}
	lp.Namespace, lp.Name = "bench", "rewards"
	program, err := specmap.Loyalty(&lp.Spec)
	if err != nil {
		return err
	}
	prog, err := specmap.LoyaltyWorker(lp, program, ds)
	if err != nil {
		return err
	}
	data, err := contract.Render(prog)
	if err != nil {
		return err
	}
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	customers := [][]string{{"id", "email", "created_at", "consent_email"}}
	orders := [][]string{{"customer_id", "order_id", "amount", "occurred_at"}}
	for i := range *members {
		customers = append(customers, []string{memberID(i), memberID(i) + "@bench.invalid", at, "false"})
		orders = append(orders, []string{memberID(i), "o" + memberID(i), "100.00", at})
	}
	files := map[string]string{
		workload.SpecFile: data["spec.json"],
		filepath.Join(workload.SecretsDir, contract.APITokenDir, "token"): *token + "\n",
		workload.DataDir + "/customers.csv":                               csvText(customers),
		workload.DataDir + "/orders.csv":                                  csvText(orders),
	}
	for p, content := range files {
		full := filepath.Join(*root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// ownCPUSeconds is the user+system CPU this process used: on a machine whose
// cores the client shares with the worker and PostgreSQL, what the load
// generator itself costs.
func ownCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func csvText(rows [][]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(rows) //nolint:errcheck // strings.Builder does not fail
	return b.String()
}

func fire(args []string) error {
	fs := flag.NewFlagSet("fire", flag.ExitOnError)
	base := fs.String("url", "", "base URL of the loyalty API, e.g. http://127.0.0.1:18080")
	tokenFile := fs.String("token-file", "", "file holding the API bearer token")
	members := fs.Int("members", 4000, "members seeded by setup")
	requests := fs.Int("requests", 4000, "redemptions to send (at most)")
	concurrency := fs.Int("concurrency", 32, "concurrent keep-alive connections")
	timeout := fs.Duration("timeout", 60*time.Second, "stop sending after this long")
	rate := fs.Float64("rate", 0, "redemptions per second, each due at its own instant and timed from it, so a late send counts "+
		"against the API (0: closed loop, each connection sends again as soon as it has an answer)")
	run := fs.String("run", strconv.FormatInt(time.Now().UnixNano(), 36), "Idempotency-Key prefix (unique per run)")
	fs.Parse(args) //nolint:errcheck // ExitOnError
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		return err
	}
	auth := "Bearer " + strings.TrimSpace(string(tok))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: *concurrency, MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency}}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var next atomic.Int64
	latencies := make([]time.Duration, *requests)
	codes := make([]int, *requests) // 0: transport error or not sent
	var wg sync.WaitGroup
	start := time.Now()
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *requests || ctx.Err() != nil {
					return
				}
				url := fmt.Sprintf("%s/v1/members/%s/redemptions", strings.TrimSuffix(*base, "/"), memberID(i%*members))
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"reward":"bench"}`))
				req.Header.Set("Authorization", auth)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d", *run, i))
				t := time.Now()
				if *rate > 0 {
					t = start.Add(time.Duration(float64(i) / *rate * float64(time.Second)))
					time.Sleep(time.Until(t))
				}
				res, err := client.Do(req)
				if err != nil {
					codes[i] = -1
					continue
				}
				io.Copy(io.Discard, res.Body) //nolint:errcheck // drained for keep-alive
				res.Body.Close()
				latencies[i], codes[i] = time.Since(t), res.StatusCode
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	byCode := map[int]int{}
	var ok []time.Duration
	sent := 0
	for i, c := range codes {
		if c == 0 {
			continue
		}
		sent++
		byCode[c]++
		if c == http.StatusCreated {
			ok = append(ok, latencies[i])
		}
	}
	slices.Sort(ok)
	pct := func(p float64) float64 {
		if len(ok) == 0 {
			return 0
		}
		return float64(ok[min(len(ok)-1, int(p*float64(len(ok))))].Microseconds()) / 1000
	}
	fmt.Printf("requests_sent=%d ok_201=%d elapsed_s=%.3f redemptions_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f concurrency=%d rate=%.0f client_cpu_s=%.2f\n",
		sent, len(ok), elapsed.Seconds(), float64(len(ok))/elapsed.Seconds(), pct(0.50), pct(0.99), pct(1), *concurrency, *rate, ownCPUSeconds())
	var other []string
	for c, n := range byCode {
		if c != http.StatusCreated {
			other = append(other, fmt.Sprintf("%d:%d", c, n))
		}
	}
	slices.Sort(other)
	fmt.Printf("other_statuses=%q (-1 = transport error)\n", strings.Join(other, ","))
	if len(ok) != sent {
		return fmt.Errorf("%d of %d requests did not get 201", sent-len(ok), sent)
	}
	return nil
}
