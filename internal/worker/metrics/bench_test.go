package metrics

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/store"
)

// benchEnv names the database hack/bench-features.sh loads with hack/gendata
// (1M customers, 10M orders); benchAsOf and the 90-day window are gendata's
// defaults, so the job computes the same features as
// `gendata --print-features-sql`, the query psql copies out for comparison.
const benchEnv = "RETENTION_BENCH_POSTGRES_DSN"

var benchAsOf = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// benchSegments are the job variants hack/bench-metric-job.sh times, read
// from hack/bench-segments.yaml (which says what each exercises); select one
// with -test.bench 'BenchmarkMetricJobPostgres/<name>'.
var benchSegments = loadBenchSegments()

// loadBenchSegments reads the Segments of hack/bench-segments.yaml, found
// from this file's path so that the compiled test binary finds it from any
// directory.
func loadBenchSegments() map[string]v1alpha1.SegmentSpec {
	_, self, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(self), "..", "..", "..", "hack", "bench-segments.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	out := map[string]v1alpha1.SegmentSpec{}
	for _, doc := range bytes.Split(raw, []byte("\n---")) {
		var s v1alpha1.Segment
		if err := yaml.Unmarshal(doc, &s); err != nil {
			panic(fmt.Sprintf("%s: %v", file, err))
		}
		if s.Kind == "Segment" {
			out[s.Name] = s.Spec
		}
	}
	return out
}

// BenchmarkMetricJobPostgres runs the whole job (features scan, criteria,
// metrics, snapshot COPY and diff in a PostgreSQL state store) on the
// gendata database. The state store is the schema retention_state of the
// same database, so a repeated run diffs against the previous snapshot.
func BenchmarkMetricJobPostgres(b *testing.B) {
	dsn, state := gendataDatabase(b, benchEnv, "hack/bench-metric-job.sh")
	ctx := context.Background()
	for _, name := range []string{"pushdown", "goeval", "orders", "predict"} {
		b.Run(name, func(b *testing.B) {
			opts := Options{Namespace: "bench", Name: name, Segment: segmentConfig(b, benchSegments[name]), DB: state,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
				Source: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: dsn},
				Clock:  func() time.Time { return benchAsOf }}
			var size, customers int64
			for b.Loop() {
				sum, err := Run(ctx, opts)
				if err != nil {
					b.Fatal(err)
				}
				size, customers = sum.Size, sum.Customers
				b.Logf("customers=%d size=%d entered=%d exited=%d metrics=%v", sum.Customers, sum.Size, sum.Entered, sum.Exited, sum.Metrics)
			}
			b.ReportMetric(float64(customers), "customers/op")
			b.ReportMetric(float64(size), "members/op")
		})
	}
}

// gendataDatabase is the database loaded by hack/gendata that env names
// (the benchmark is skipped, pointing at script, when it is unset), with the
// state store in its schema retention_state.
func gendataDatabase(b *testing.B, env, script string) (dsn string, state *store.DB) {
	dsn = os.Getenv(env)
	if dsn == "" {
		b.Skipf("set %s to a database loaded by hack/gendata (see %s)", env, script)
	}
	return dsn, openBenchState(b, dsn, "retention_state")
}

// openBenchState opens the state store of a benchmark: schema (made if
// missing) of the benchmark's database dsn, so a repeated run diffs against
// the previous one's snapshot. It is closed when the benchmark ends.
func openBenchState(b *testing.B, dsn, schema string) *store.DB {
	b.Helper()
	ctx := context.Background()
	admin, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		b.Fatal(err)
	}
	admin.Close()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	state, err := store.Open(ctx, dsn+sep+"search_path="+schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { state.Close() })
	return state
}
