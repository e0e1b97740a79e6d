package loyalty

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// BenchmarkRedemptionsPostgres measures redemptions through the store API
// (store.Points.Redeem: one transaction with the member row lock, FIFO lot
// deduction, ledger entry) on PostgreSQL, from parallel goroutines
// (b.RunParallel, GOMAXPROCS x -cpu x SetParallelism(8)), each redemption on
// a different member than the previous one (round-robin over 2,000 members,
// so concurrent redemptions rarely share a lock). Reports redemptions/s and
// p50/p99 latency in milliseconds.
func BenchmarkRedemptionsPostgres(b *testing.B) {
	db := store.OpenTestPostgres(b)
	ctx := context.Background()
	cfg := engine.Config{EarnRules: engine.EarnRules{PointsPerUnit: 1}, Rewards: []engine.Reward{{Name: "mug", Cost: 1}}}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	p, err := store.OpenPoints(ctx, db, &cfg)
	if err != nil {
		b.Fatal(err)
	}
	const members = 2000
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range members {
		// 1,000,000 points each in one lot: enough for any b.N.
		if _, err := p.ApplyOrder(ctx, orderOf(fmt.Sprintf("m%d", i), fmt.Sprintf("o%d", i), 1e6, now), now); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			n := next.Add(1)
			t := time.Now()
			if _, _, err := p.Redeem(ctx, fmt.Sprintf("m%d", n%members), "mug", 1, fmt.Sprintf("k%d", n), now); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "redemptions/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
