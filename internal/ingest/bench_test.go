package ingest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkIngestBatch100 posts /v1/batch calls of 100 track messages over
// loopback HTTP to the real handler writing to PostgreSQL (one transaction
// per call, committed before the answer), from 4 connections. It reports
// events/s and the calls' p99 latency.
func BenchmarkIngestBatch100(b *testing.B) {
	const perCall = 100
	srv, db := apiServer(b, nil)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(2) // 2 × GOMAXPROCS (2 here) = 4 connections, as hack/bench-ingest.sh
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		var mine []time.Duration
		for pb.Next() {
			c := seq.Add(1)
			buf.Reset()
			buf.WriteString(`{"batch":[`)
			for i := 0; i < perCall; i++ {
				if i > 0 {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"type":"track","messageId":"b%d-%d","userId":"u%d","event":"cart_updated",`+
					`"properties":{"total":%d.5,"items":["mug"]},"timestamp":"2026-11-30T12:00:00.000Z"}`, c, i, i, i)
			}
			buf.WriteString(`]}`)
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/batch", bytes.NewReader(buf.Bytes()))
			req.Header.Set("Authorization", auth)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat)*perCall)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	if n := storedRows(b, db); n != len(lat)*perCall {
		b.Errorf("%d rows stored, %d acknowledged", n, len(lat)*perCall)
	}
}
