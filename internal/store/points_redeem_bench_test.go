package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// BenchmarkRedeemPostgresPaths compares, on one ledger and in one run, the
// two ways a redemption reaches PostgreSQL: "pipelined" (what Redeem uses on
// PostgreSQL: two round trips) and "tx" (redeemTx through database/sql: one
// round trip per statement, seven in all), alternated twice because the
// first timed run after the warm-up was measured slower whichever path it
// was. 16 open connections as the loyalty worker ships, 8 goroutines per
// core, round-robin over 2,000 members; reports redemptions/s and p50/p99 in
// milliseconds.
//
//	go test -run '^$' -bench RedeemPostgresPaths -benchtime 4000x ./internal/store/
func BenchmarkRedeemPostgresPaths(b *testing.B) {
	db := testdb.Open(b, testdb.Postgres(b), Open)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	p, err := OpenPoints(context.Background(), db, ptr(integrityConfig()))
	if err != nil {
		b.Fatal(err)
	}
	const members = 2000
	ctx := context.Background()
	for i := range members {
		o := &customer.Order{CustomerID: fmt.Sprint("m", i), OrderID: fmt.Sprint("o", i), Amount: 1e6, OccurredAt: day(0)}
		if _, err := p.ApplyOrder(ctx, o, day(0)); err != nil {
			b.Fatal(err)
		}
	}
	paths := []struct {
		name   string
		redeem func(ctx context.Context, member, reward string, cost int64, key string, now time.Time) (Redemption, bool, error)
	}{{"tx", p.redeemTx}, {"pipelined", p.redeemPipelined}, {"tx-again", p.redeemTx}, {"pipelined-again", p.redeemPipelined}}
	// Warm up: every member's rows once through each path (hint bits, first
	// writes after a checkpoint) and every connection's prepared statements,
	// so neither path pays for the other's cold start.
	for _, path := range paths {
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := g; i < members; i += 16 {
					if _, _, err := path.redeem(ctx, fmt.Sprint("m", i), "mug", 1, fmt.Sprint("warm-", path.name, i), day(1)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	var next atomic.Int64 // keys unique across runs: a repeated key is a cheap replay
	for _, path := range paths {
		b.Run(path.name, func(b *testing.B) {
			// The latency of each redemption that succeeded, in the order they
			// ended: RunParallel runs b.N in all, so no goroutine needs a lock.
			lat := make([]time.Duration, b.N)
			var ok atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1)
					t := time.Now()
					if _, _, err := path.redeem(ctx, fmt.Sprint("m", n%members), "mug", 1, fmt.Sprint(path.name, n), day(1)); err != nil {
						b.Error(err)
						return
					}
					lat[ok.Add(1)-1] = time.Since(t)
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			if lat = lat[:ok.Load()]; len(lat) > 0 {
				reportLatencies(b, lat, elapsed)
			}
		})
	}
}

// reportLatencies reports the redemptions per second of lat over elapsed
// and its median and 99th percentile in milliseconds.
func reportLatencies(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "redemptions/s")
	for _, p := range []int{50, 99} {
		b.ReportMetric(float64(lat[len(lat)*p/100].Microseconds())/1000, fmt.Sprintf("p%d-ms", p))
	}
}

func ptr[T any](v T) *T { return &v }
