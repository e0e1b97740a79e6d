package datasource

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// BenchEnv names the PostgreSQL database BenchmarkScanFeaturesPostgres reads;
// hack/bench-features.sh loads it with hack/gendata (1M customers, 10M orders).
const benchEnv = "RETENTION_BENCH_POSTGRES_DSN"

// benchAsOf and benchWindow match hack/gendata's defaults (--end, --window-days)
// so the Go scan and `gendata --print-features-sql` run the same query.
var (
	benchAsOf   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	benchWindow = 90 * 24 * time.Hour
)

// BenchmarkScanFeaturesPostgres times the full features scan (query plus
// decoding every row into the reused Features) on a gendata database.
func BenchmarkScanFeaturesPostgres(b *testing.B) {
	dsn := os.Getenv(benchEnv)
	if dsn == "" {
		b.Skipf("set %s to a database loaded by hack/gendata (see hack/bench-features.sh)", benchEnv)
	}
	ctx := context.Background()
	c, err := Open(ctx, sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := FeatureQuery{AsOf: benchAsOf, Window: benchWindow}
	var rows int64
	var spend float64
	b.ReportAllocs()
	for b.Loop() {
		rows, spend = 0, 0
		if err := c.ScanFeatures(ctx, q, func(f *customer.Features) error {
			rows++
			spend += f.Monetary
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows), "customers/op")
	b.Logf("customers=%d total monetary=%.2f", rows, spend)
}

// BenchmarkScanFeaturesCSV times the streaming file connector on a directory
// written by `go run ./hack/gendata --csv DIR`, named by RETENTION_BENCH_CSV_DIR.
func BenchmarkScanFeaturesCSV(b *testing.B) {
	dir := os.Getenv("RETENTION_BENCH_CSV_DIR")
	if dir == "" {
		b.Skip("set RETENTION_BENCH_CSV_DIR to a directory written by hack/gendata --csv")
	}
	ctx := context.Background()
	c, err := Open(ctx, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := FeatureQuery{AsOf: benchAsOf, Window: benchWindow}
	var rows int64
	b.ReportAllocs()
	for b.Loop() {
		rows = 0
		if err := c.ScanFeatures(ctx, q, func(*customer.Features) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows), "customers/op")
}
