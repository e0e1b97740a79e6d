package channel

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/retention-dev/retention-operator/internal/channel/senderconfig"
)

// BenchmarkWebhookSend measures the webhook sender (JSON encode, HMAC sign,
// POST over a kept-alive loopback connection, drain the response) against an
// httptest receiver that reads the body and answers 204. Reports msgs/s.
func BenchmarkWebhookSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	w, err := NewWebhookSender(senderconfig.WebhookConfig{AllowLoopback: true, URL: srv.URL}, []byte("whsec_bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	msg := testMessage()
	msg.Body = "<p>Hello, we miss you. Here is 10% off your next order: COMEBACK10</p>"

	b.Run("sequential", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := w.Send(ctx, msg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("parallel", func(b *testing.B) {
		// 16 goroutines per CPU: the sender is I/O bound, so a campaign worker
		// would run many concurrent sends.
		b.SetParallelism(16)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if err := w.Send(ctx, msg); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}
