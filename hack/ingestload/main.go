// Command ingestload is the black-box load client of hack/bench-ingest.sh:
// it posts EVENTS track messages to an ingestion API as /v1/batch calls of
// BATCH messages (the Segment HTTP Tracking API's shapes, unique messageIds)
// from CONCURRENCY keep-alive connections, stopping at TIMEOUT, and prints
// events/s and the latency of the calls (p50, p99, max). Every call must be
// answered 200; any other answer is counted and makes the run fail.
//
//	ingestload -url URL -key-file F -events N -batch 100 -concurrency C -timeout D
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ingestload:", err)
		os.Exit(1)
	}
}

func run() error {
	url := flag.String("url", "", "base URL of the ingestion API")
	keyFile := flag.String("key-file", "", "file holding the write key")
	events := flag.Int("events", 200000, "track messages to post")
	batch := flag.Int("batch", 100, "messages per /v1/batch call")
	concurrency := flag.Int("concurrency", 16, "concurrent connections")
	timeout := flag.Duration("timeout", 120*time.Second, "stop after this long")
	prefix := flag.String("prefix", strconv.FormatInt(time.Now().UnixNano(), 36), "messageId prefix (unique per run)")
	flag.Parse()
	raw, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(strings.TrimSpace(string(raw))+":"))
	calls := (*events + *batch - 1) / *batch
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency}}
	var next, failed atomic.Int64
	lat := make([][]time.Duration, *concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf bytes.Buffer
			for ctx.Err() == nil {
				c := int(next.Add(1)) - 1
				if c >= calls {
					return
				}
				body := batchBody(&buf, *prefix, c, *batch)
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, *url+"/v1/batch", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", auth)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return fmt.Errorf("no call answered 200 (%d failed)", failed.Load())
	}
	ok := len(all) * *batch
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(float64(len(all))*p))] }
	fmt.Printf("events_acknowledged=%d calls=%d failed_calls=%d elapsed=%.2fs events_per_s=%.0f call_p50=%.1fms call_p99=%.1fms call_max=%.1fms\n",
		ok, len(all), failed.Load(), elapsed.Seconds(), float64(ok)/elapsed.Seconds(),
		ms(pct(0.50)), ms(pct(0.99)), ms(all[len(all)-1]))
	if failed.Load() > 0 || len(all) < calls {
		return fmt.Errorf("%d of %d calls were not answered 200", calls-len(all), calls)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// batchBody writes call c's batch: n track messages of a cart event, as a
// shop's server library would send them.
func batchBody(buf *bytes.Buffer, prefix string, c, n int) []byte {
	buf.Reset()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	buf.WriteString(`{"sentAt":"` + now + `","batch":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		id := c*n + i
		fmt.Fprintf(buf, `{"type":"track","messageId":"%s-%d","userId":"u%d","event":"cart_updated","timestamp":"%s",`+
			`"properties":{"cart_id":"c%d","total":%d.5,"currency":"EUR","items":["mug","tea"]},"context":{"library":{"name":"ingestload"}}}`,
			prefix, id, id%50000, now, id, id%300)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}
