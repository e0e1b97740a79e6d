package campaign

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkCampaignSendWebhookPostgresLeased is
// BenchmarkCampaignSendWebhookPostgres with three replicas sharing three
// leased shards (the Deployment default): 10,000 customers, one message
// each, exactly once in total. The difference to the one-worker benchmark
// is the price of leases (a claim per tick per replica, a lease check per
// batch transaction) and of three replicas scanning the same source.
func BenchmarkCampaignSendWebhookPostgresLeased(b *testing.B) {
	const n, replicas = 10000, 3
	db, recv, sender, src := sendBench(b, n)
	ctx := context.Background()
	b.ResetTimer()
	var elapsed time.Duration
	for it := 0; it < b.N; it++ {
		cfg := helloPlaybook(fmt.Sprintf("bench-leased/%d", it))
		before := len(recv.keys())
		t0 := time.Now()
		errs := make(chan error, replicas)
		for r := 0; r < replicas; r++ {
			o := Options{Playbook: cfg, DB: db, Source: src, Channels: hookChannels(sender),
				ChannelKinds: hookKinds(), PollInterval: time.Millisecond,
				BatchSize: 1000, Concurrency: DefaultConcurrency, ExitWhenIdle: true, Logger: quiet,
				Leases: &LeaseOptions{Shards: replicas, Holder: fmt.Sprintf("r%d", r), Settle: 20 * time.Millisecond}}
			go func() { errs <- Run(ctx, o) }()
		}
		for r := 0; r < replicas; r++ {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(t0)
		c, err := db.DeliveryCounts(ctx, cfg.Name)
		if err != nil {
			b.Fatal(err)
		}
		if got := len(recv.keys()) - before; got != n || c["message/sent"] != n {
			b.Fatalf("iteration %d: receiver got %d new keys, ledger says %d sent; want %d", it, got, c["message/sent"], n)
		}
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
}
