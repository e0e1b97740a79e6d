package metrics

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// BenchmarkIncrementalPostgres is one metric run for hack/bench-incremental.sh,
// which times it from outside. The environment says which:
//
//	RETENTION_BENCH_POSTGRES_DSN  the gendata database (data)
//	RETENTION_BENCH_STATE         schema of that database holding the state store
//	RETENTION_BENCH_ASOF          the run's AsOf (RFC 3339)
//	RETENTION_BENCH_MODE          plain (no spec.incremental), incremental or full (--full)
//	RETENTION_BENCH_VARIANT       a benchSegments name (pushdown, orders, predict)
//
// It prints the run's summary as one "figures: {...}" line for the script
// to compare an incremental run with a full one.
func BenchmarkIncrementalPostgres(b *testing.B) {
	dsn := os.Getenv(benchEnv)
	if dsn == "" {
		b.Skipf("set %s (see hack/bench-incremental.sh)", benchEnv)
	}
	ctx := context.Background()
	schema, mode, variant := os.Getenv("RETENTION_BENCH_STATE"), os.Getenv("RETENTION_BENCH_MODE"), os.Getenv("RETENTION_BENCH_VARIANT")
	asOf, err := time.Parse(time.RFC3339, os.Getenv("RETENTION_BENCH_ASOF"))
	if err != nil {
		b.Fatalf("RETENTION_BENCH_ASOF: %v", err)
	}
	spec, ok := benchSegments[variant]
	if !ok || schema == "" {
		b.Fatalf("RETENTION_BENCH_VARIANT %q / RETENTION_BENCH_STATE %q", variant, schema)
	}
	if mode != "plain" {
		spec.Incremental = &v1alpha1.SegmentIncremental{}
	}
	state := openBenchState(b, dsn, schema)
	opts := Options{Namespace: "bench", Name: variant, Segment: segmentConfig(b, spec), DB: state, Full: mode == "full",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Source: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: dsn},
		Clock:  func() time.Time { return asOf }}
	for b.Loop() {
		sum, err := Run(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		sum.RunTime, sum.LastSuccess = time.Time{}, nil
		out, _ := json.Marshal(sum)
		b.Logf("figures: %s", out)
	}
}
