package loyalty

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// BenchmarkRedemptionsPostgres measures redemptions through the store API
// (store.Points.Redeem: one transaction with the member row lock, FIFO lot
// deduction, ledger entry) on PostgreSQL, from parallel goroutines
// (b.RunParallel with SetParallelism(8)), each redemption on a different
// member than the previous one (round-robin over 2,000 members, so concurrent
// redemptions rarely share a lock). Reports redemptions/s and p50/p99 latency
// in milliseconds.
func BenchmarkRedemptionsPostgres(b *testing.B) {
	p, now := benchLedger(b)
	benchRedemptions(b, func(member, key string) error {
		_, _, err := p.Redeem(context.Background(), member, "mug", 1, key, now)
		return err
	})
}

// BenchmarkRedemptionsPostgresHTTP is the same load through the real HTTP
// handler on a loopback server (auth, JSON, routing included), with a
// keep-alive client pool.
func BenchmarkRedemptionsPostgresHTTP(b *testing.B) {
	p, now := benchLedger(b)
	cfg := benchConfig()
	dir := b.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte(apiToken), 0o600)
	api, err := NewAPI(p, &cfg, func() time.Time { return now }, tok, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	benchRedemptions(b, func(member, key string) error {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/members/"+member+"/redemptions", strings.NewReader(`{"reward":"mug"}`))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return nil
	})
}

const benchMembers = 2000

func benchConfig() engine.Config {
	cfg := engine.Config{EarnRules: engine.EarnRules{PointsPerUnit: 1}, Rewards: []engine.Reward{{Name: "mug", Cost: 1}}}
	cfg.Validate() //nolint:errcheck // a literal known to be valid
	return cfg
}

// benchLedger opens a PostgreSQL ledger with benchMembers members holding
// 1,000,000 points each (one lot), enough for any b.N. The pool is the one
// the worker ships (Options defaults), not one tuned for the benchmark.
func benchLedger(b *testing.B) (*store.Points, time.Time) {
	db := testdb.Open(b, testdb.Postgres(b), store.Open)
	ctx := context.Background()
	o := Options{Program: benchConfig(), DB: db}
	p, _, err := o.open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchMembers {
		if _, err := p.ApplyOrder(ctx, orderOf(fmt.Sprintf("m%d", i), fmt.Sprintf("o%d", i), 1e6, now), now); err != nil {
			b.Fatal(err)
		}
	}
	return p, now
}

// benchRedemptions runs redeem from parallel goroutines (b.RunParallel with
// SetParallelism(8): 8 x GOMAXPROCS goroutines), round-robin over the
// members, and reports redemptions/s and p50/p99 latency in milliseconds.
func benchRedemptions(b *testing.B, redeem func(member, key string) error) {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			n := next.Add(1)
			t := time.Now()
			if err := redeem(fmt.Sprintf("m%d", n%benchMembers), fmt.Sprintf("k%d", n)); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		defer mu.Unlock()
		lat = append(lat, mine...)
	})
	b.StopTimer()
	reportRedemptions(b, lat, b.Elapsed())
}

// reportRedemptions reports the redemptions/s that lat (one latency per
// redemption) took in elapsed, and their p50 and p99 in milliseconds.
func reportRedemptions(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "redemptions/s")
	for _, q := range []struct {
		unit string
		at   int
	}{{"p50-ms", len(lat) / 2}, {"p99-ms", len(lat) * 99 / 100}} {
		b.ReportMetric(float64(lat[q.at].Microseconds())/1000, q.unit)
	}
}
