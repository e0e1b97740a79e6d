package campaign

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/channel"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/store"
)

// BenchmarkCampaignSendWebhookPostgres: one worker enrols 10,000 customers
// and sends each one message to a webhook receiver on loopback, ledger in
// PostgreSQL (batches of 1,000 rows per transaction, DefaultConcurrency sends in flight).
// Each iteration is a fresh playbook; every message must reach the receiver
// and be marked sent in the ledger. Reports msgs/s.
func BenchmarkCampaignSendWebhookPostgres(b *testing.B) {
	const n = 10000
	db, recv, sender, src := sendBench(b, n)
	ctx := context.Background()
	b.ResetTimer()
	var elapsed time.Duration
	for it := 0; it < b.N; it++ {
		cfg := helloPlaybook(fmt.Sprintf("bench/%d", it))
		before := len(recv.keys())
		t0 := time.Now()
		var sent int64
		err := Run(ctx, Options{Playbook: cfg, DB: db, Source: src, Channels: hookChannels(sender),
			ChannelKinds: hookKinds(), PollInterval: time.Millisecond,
			BatchSize: 1000, Concurrency: DefaultConcurrency, ExitWhenIdle: true, Logger: quiet, PublishInterval: time.Hour,
			Publish: func(_ context.Context, s *Summary) error { sent = s.Sent; return nil }})
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if got := len(recv.keys()) - before; got != n || sent != n {
			b.Fatalf("iteration %d: receiver got %d new keys, ledger says %d sent; want %d", it, got, sent, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
}

// sendBench is what the webhook send benchmarks start from: a PostgreSQL
// store with the journey tables, a receiver on loopback and a sender to it,
// and n customers with webhook consent.
func sendBench(b *testing.B, n int) (*store.DB, *receiver, channel.Sender, *memSource) {
	b.Helper()
	db := store.OpenTestPostgres(b)
	if err := db.MigrateJourney(context.Background()); err != nil {
		b.Fatal(err)
	}
	recv := newReceiver(b, 0)
	feats := make([]customer.Features, n)
	for i := range feats {
		feats[i] = customer.Features{ID: fmt.Sprintf("cust-%05d", i), Attributes: map[string]string{journey.ConsentWebhookAttribute: "true"}}
	}
	return db, recv, webhookSender(b, recv.srv.URL), &memSource{feats: feats}
}

// helloPlaybook is a fresh playbook (name in namespace bench) that sends
// every segment entrant one message on channel "hook".
func helloPlaybook(name string) journey.Config {
	return journey.Config{Name: name, Namespace: "bench", Trigger: journey.Trigger{SegmentEntry: true},
		Steps: []journey.Step{{Name: "hello", Send: &journey.SendStep{ChannelRef: "hook",
			Template: journey.Template{Subject: "Hello", Body: "Hello {{.id}}"}}}}}
}
