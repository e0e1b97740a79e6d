package metrics

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/specmap"
)

// TestFailedRunKeepsSnapshot: a run over bad data or an unreachable database
// fails with an error naming the row or setting, reports the last success,
// keeps the previous snapshot, and the next good run diffs against it.
func TestFailedRunKeepsSnapshot(t *testing.T) {
	appendOrder := func(line string) func(t *testing.T, dir string, cfg *sourceconfig.Config) {
		return func(t *testing.T, dir string, cfg *sourceconfig.Config) {
			path := filepath.Join(dir, "orders.csv")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, []byte(line+"\n")...), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string
		// spoil breaks the data source after the first good run.
		spoil         func(t *testing.T, dir string, cfg *sourceconfig.Config)
		wantErr       []string
		wantReachable bool
	}{
		// orders.csv has a header and 10 rows, so the appended row is line 12.
		{name: "malformed row", spoil: appendOrder("a,o99,5,2024-13-01"),
			wantErr: []string{`orders.csv line 12: timestamp "2024-13-01"`}, wantReachable: true},
		{name: "negative amount", spoil: appendOrder("a,o99,-3.5,2024-06-01T00:00:00Z"),
			wantErr: []string{`orders.csv line 12: amount -3.5 is negative`}, wantReachable: true},
		{name: "unknown column", spoil: func(_ *testing.T, _ string, cfg *sourceconfig.Config) { cfg.Columns.Amount = "total" },
			wantErr: []string{`orders.csv`, `"total"`, `columns.amount`}, wantReachable: true},
		{name: "unreachable database", spoil: func(_ *testing.T, _ string, cfg *sourceconfig.Config) {
			*cfg = sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: "postgres://shop:secret@127.0.0.1:1/shop?sslmode=disable"}
		}, wantErr: []string{"data source unreachable: ", "127.0.0.1", "port 1", "connection refused"}, wantReachable: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sources(t, fixtureShop())["csv"](t)
			if _, err := runAt(t, src, fixtureSeg, asOf); err != nil {
				t.Fatal(err)
			}
			bad := src
			tt.spoil(t, src.cfg.Path, &bad.cfg)
			sum, err := runAt(t, bad, fixtureSeg, asOf.Add(time.Hour))
			if err == nil {
				t.Fatal("run over bad data succeeded")
			}
			t.Logf("error: %s", sum.Error)
			for _, w := range tt.wantErr {
				if !strings.Contains(sum.Error, w) {
					t.Errorf("error %q does not contain %q", sum.Error, w)
				}
			}
			if strings.Contains(sum.Error, "secret") {
				t.Errorf("error leaks the password: %q", sum.Error)
			}
			if sum.Succeeded || sum.DataSourceReachable != tt.wantReachable || sum.Size != 0 || sum.Metrics != nil {
				t.Errorf("failed summary %+v, want succeeded=false reachable=%v and no results", sum, tt.wantReachable)
			}
			if sum.LastSuccess == nil || !sum.LastSuccess.Equal(asOf) || !sum.RunTime.Equal(asOf.Add(time.Hour)) {
				t.Errorf("lastSuccess %v runTime %v, want %v and %v", sum.LastSuccess, sum.RunTime, asOf, asOf.Add(time.Hour))
			}
			members, err := src.db.SegmentMembers(t.Context(), "shop/buyers")
			if err != nil {
				t.Fatal(err)
			}
			if len(members) != 4 {
				t.Errorf("snapshot after the failed run has %d members, want the previous 4", len(members))
			}
			// Repaired data with e entering and b exiting: diffed against run 1.
			changed := fixtureShop()
			next := asOf.Add(2 * time.Hour)
			changed.orders = append(changed.orders, orderAt("e", "o11", asOf, 12), orderAt("b", "o12", asOf, 500))
			src.reload(changed)
			sum, err = runAt(t, src, fixtureSeg, next)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Succeeded || sum.Size != 4 || sum.Entered != 1 || sum.Exited != 1 || !sum.LastSuccess.Equal(next) {
				t.Errorf("repaired run %+v, want size 4 entered 1 exited 1 lastSuccess %v", sum, next)
			}
		})
	}
}

// TestSpecErrors: settings that cannot work fail before any data is read,
// naming the field.
func TestSpecErrors(t *testing.T) {
	src := sources(t, fixtureShop())["csv"](t)
	for _, tt := range []struct {
		cfg  metrics.SegmentConfig
		want string
	}{
		{cfg: metrics.SegmentConfig{Criteria: `customer.recncyDays > 1.0`, Window: 30 * day24}, want: "spec.criteria: "},
		{cfg: metrics.SegmentConfig{Criteria: `customer.frequency > 1`, Window: -day24}, want: "spec.window must be positive"},
		{cfg: metrics.SegmentConfig{Criteria: `customer.frequency > 1`, Window: 30 * day24, Metrics: []string{"ltv"}},
			want: `spec.metrics[0]: unknown metric "ltv"`},
	} {
		sum, err := Run(context.Background(), Options{Namespace: "shop", Name: "buyers", Segment: tt.cfg, Source: src.cfg, DB: src.db,
			Clock: func() time.Time { return asOf }})
		if err == nil || !strings.HasPrefix(sum.Error, tt.want) || sum.Succeeded {
			t.Errorf("error %q succeeded %v, want prefix %q", sum.Error, sum.Succeeded, tt.want)
		}
	}
	// A window that does not parse never reaches the job: the controller's
	// mapping refuses it, naming the field.
	spec := fixtureSeg
	spec.Window = "30x"
	if _, err := specmap.Segment(&spec); err == nil || !strings.HasPrefix(err.Error(), `spec.window: duration "30x": unknown unit "x"`) {
		t.Errorf("mapping a 30x window: %v", err)
	}
}

const day24 = 24 * time.Hour
