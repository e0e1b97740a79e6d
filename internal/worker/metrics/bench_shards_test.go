package metrics

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/report"
)

// shardBenchEnv names the database hack/bench-metric-shards.sh loads with
// hack/gendata (100k customers, 1M orders by default).
const shardBenchEnv = "RETENTION_BENCH_SHARDS_POSTGRES_DSN"

// shardBenchSpec asks for every metric, with the criteria pushed into SQL.
var shardBenchSpec = v1alpha1.SegmentSpec{Criteria: `customer.recencyDays > 30.0 && customer.frequency >= 2`, Window: "90d",
	Metrics: []v1alpha1.MetricName{"retentionRate", "churnRate", "repeatPurchaseRate", "purchaseFrequency",
		"averageOrderValue", "historicalCLV", "predictedCLV", "nps", "cohortRetention"}}

// BenchmarkMetricJobShardsPostgres runs the whole metric job on the
// gendata database one pod (Run) and 1, 2 and 4 shards (RunShard), two ways:
//   - parallel: the shards at once, as an Indexed Job's pods run (here
//     goroutines of one process sharing this machine's cores and its one
//     PostgreSQL); the time is the run's wall time;
//   - serial: the shards one after the other, each with the machine to
//     itself, as pods on separate nodes against a database with cores to
//     spare would be; shard-ms is the slowest shard, merge-ms the
//     publishing shard's merge (fit, snapshot, report).
//
// Every variant publishes the same report (checked).
func BenchmarkMetricJobShardsPostgres(b *testing.B) {
	dsn, state := gendataDatabase(b, shardBenchEnv, "hack/bench-metric-shards.sh")
	ctx := context.Background()
	opts := Options{Namespace: "bench", Segment: segmentConfig(b, shardBenchSpec), DB: state,
		Source: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: dsn},
		Clock:  func() time.Time { return benchAsOf }}
	var want map[string]string
	b.Run("one-pod", func(b *testing.B) {
		o := opts
		o.Name = "one-pod"
		for b.Loop() {
			sum, err := Run(ctx, o)
			if err != nil {
				b.Fatal(err)
			}
			want = report.Decimals(sum.Metrics)
			b.Logf("size=%d metrics=%v", sum.Size, sum.Metrics)
		}
	})
	run := 0
	for _, mode := range []string{"parallel", "serial"} {
		for _, n := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s-%d", mode, n), func(b *testing.B) {
				o := opts
				o.Name = fmt.Sprintf("%s-%d", mode, n)
				o.Segment.Shards = n
				var slowest, merge time.Duration
				for b.Loop() {
					run++
					id := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), run)
					times := make([]time.Duration, n)
					var mu sync.Mutex
					var got map[string]string
					shard := func(i int) {
						start := time.Now()
						sum, publish, err := RunShard(ctx, o, Shard{RunID: id, Index: i})
						times[i] = time.Since(start)
						if err != nil {
							b.Error(err)
							return
						}
						if publish {
							mu.Lock()
							got = report.Decimals(sum.Metrics)
							mu.Unlock()
						}
					}
					if mode == "parallel" {
						var wg sync.WaitGroup
						for i := range n {
							wg.Go(func() { shard(i) })
						}
						wg.Wait()
					} else {
						for i := range n {
							shard(i)
						}
					}
					if want != nil && fmt.Sprint(got) != fmt.Sprint(want) {
						b.Fatalf("%s: metrics %v, one pod %v", o.Name, got, want)
					}
					// The last shard in serial mode also merges: its time less
					// the others' mean is the merge.
					slowest = slices.Max(times)
					if mode == "serial" && n > 1 {
						var rest time.Duration
						for _, d := range times[:n-1] {
							rest += d
						}
						merge = times[n-1] - rest/time.Duration(n-1)
					}
					b.Logf("%s: shard times %v", o.Name, times)
				}
				b.ReportMetric(float64(slowest.Milliseconds()), "slowest-shard-ms")
				if merge > 0 {
					b.ReportMetric(float64(merge.Milliseconds()), "merge-ms")
				}
			})
		}
	}
}
