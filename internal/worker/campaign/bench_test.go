package campaign

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// BenchmarkCampaignSendWebhookPostgres: one worker enrols 10,000 customers
// and sends each one message to a webhook receiver on loopback, ledger in
// PostgreSQL (batches of 1,000 rows per transaction, DefaultConcurrency sends in flight).
// Each iteration is a fresh playbook; every message must reach the receiver
// and be marked sent in the ledger. Reports msgs/s.
func BenchmarkCampaignSendWebhookPostgres(b *testing.B) {
	var sent int64
	benchSends(b, "bench", func(ctx context.Context, o Options) error {
		sent = 0
		o.PublishInterval = time.Hour
		o.Publish = func(_ context.Context, s *Summary) error { sent = s.Sent; return nil }
		return Run(ctx, o)
	}, func(context.Context, *store.DB, string) (int64, error) { return sent, nil })
}

// BenchmarkCampaignSendWebhookPostgresLeased is
// BenchmarkCampaignSendWebhookPostgres with three replicas sharing three
// leased shards (the Deployment default): 10,000 customers, one message
// each, exactly once in total. The difference to the one-worker benchmark
// is the price of leases (a claim per tick per replica, a lease check per
// batch transaction) and of three replicas scanning the same source.
func BenchmarkCampaignSendWebhookPostgresLeased(b *testing.B) {
	const replicas = 3
	benchSends(b, "bench-leased", func(ctx context.Context, o Options) error {
		errs := make(chan error, replicas)
		for r := 0; r < replicas; r++ {
			o.Leases = &LeaseOptions{Shards: replicas, Holder: fmt.Sprintf("r%d", r), Settle: 20 * time.Millisecond}
			go func(o Options) { errs <- Run(ctx, o) }(o)
		}
		for r := 0; r < replicas; r++ {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	}, func(ctx context.Context, db *store.DB, playbook string) (int64, error) {
		c, err := db.DeliveryCounts(ctx, playbook)
		return c["message/sent"], err
	})
}

// benchSends runs a webhook send benchmark: a PostgreSQL store with the
// journey tables, a receiver on loopback, 10,000 customers with webhook
// consent, and per iteration a fresh playbook (named prefix/i, namespace
// bench) that sends each of them one message. send runs the iteration's
// workers with the options given (the only part timed); then the receiver
// must have 10,000 new keys, and sent must report 10,000 sent in the ledger.
func benchSends(b *testing.B, prefix string, send func(ctx context.Context, o Options) error,
	sent func(ctx context.Context, db *store.DB, playbook string) (int64, error)) {
	const n = 10000
	ctx := context.Background()
	db := testdb.Open(b, testdb.Postgres(b), store.Open)
	if err := db.MigrateJourney(ctx); err != nil {
		b.Fatal(err)
	}
	recv := newReceiver(b, 0)
	sender, src := webhookSender(b, recv.srv.URL), &memSource{feats: consenting(n)}
	b.ResetTimer()
	var elapsed time.Duration
	for it := 0; it < b.N; it++ {
		cfg := onEntry(fmt.Sprintf("%s/%d", prefix, it), "hello", "hook", journey.Template{Subject: "Hello", Body: "Hello {{.id}}"})
		cfg.Namespace = "bench"
		before := len(recv.keys())
		t0 := time.Now()
		err := send(ctx, Options{Playbook: cfg, DB: db, Source: src, Channels: hookChannels(sender),
			ChannelKinds: hookKinds(), PollInterval: time.Millisecond,
			BatchSize: 1000, Concurrency: DefaultConcurrency, ExitWhenIdle: true, Logger: quiet})
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		got, err := sent(ctx, db, cfg.Name)
		if err != nil {
			b.Fatal(err)
		}
		if keys := len(recv.keys()) - before; keys != n || got != n {
			b.Fatalf("iteration %d: receiver got %d new keys, ledger says %d sent; want %d", it, keys, got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
}
