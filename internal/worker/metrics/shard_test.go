package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/report"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// second is the AsOf of the second run in the comparisons.
var second = asOf.Add(10 * 24 * time.Hour)

// allMetrics asks for every metric the job computes.
var allMetrics = []v1alpha1.MetricName{"retentionRate", "churnRate", "repeatPurchaseRate", "purchaseFrequency",
	"averageOrderValue", "historicalCLV", "predictedCLV", "nps", "cohortRetention"}

// shardSpecs cover the three ways membership is decided: criteria pushed
// into SQL, criteria evaluated in Go (attributes are not translated), and
// criteria reading the model (every shard then fits on every buyer).
var shardSpecs = map[string]v1alpha1.SegmentSpec{
	"pushdown": {Criteria: `customer.frequency >= 1 && customer.recencyDays < 300.0`, Window: "90d", Metrics: allMetrics},
	"goeval":   {Criteria: `customer.id.startsWith("c") && customer.recencyDays < 60.0`, Window: "90d", Metrics: allMetrics},
	"model":    {Criteria: `customer.frequency >= 2 && customer.churnProbability < 0.8`, Window: "90d", Metrics: allMetrics},
}

// randomShop is 300 customers with orders from 2023-01 on (amounts with
// cents) and NPS answers: every metric has data as of asOf with a 90-day
// window, and the CLV models fit.
func randomShop(seed uint64) shop {
	r := rand.New(rand.NewPCG(seed, 9))
	var s shop
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		id := fmt.Sprintf("c%03d", i)
		s.customers = append(s.customers, id)
		// Purchases as the BG/NBD model has them: a customer buys at a rate
		// of its own (exponential gaps) and may drop out after each
		// purchase; spend as Gamma-Gamma has it: a mean per customer, each
		// order's amount around it.
		at := start.Add(time.Duration(r.Int64N(int64(540 * 24 * time.Hour))))
		gapDays := 5 + 60*r.ExpFloat64()
		dropout := 0.05 + 0.4*r.Float64()
		mean := math.Exp(3.5 + 0.5*r.NormFloat64())
		for k := 0; k < 40 && at.Before(second); k++ {
			g := 0.0
			for range 4 {
				g += r.ExpFloat64()
			}
			amount := math.Round(mean*g/4*100) / 100
			s.orders = append(s.orders, orderAt(id, fmt.Sprintf("%s-%d", id, k), at.Truncate(time.Second), amount))
			if r.Float64() < dropout {
				break
			}
			at = at.Add(time.Duration(r.ExpFloat64() * gapDays * float64(24*time.Hour)))
		}
		if r.IntN(2) == 0 {
			s.feedback = append(s.feedback, customer.Feedback{CustomerID: id, Score: r.IntN(11),
				OccurredAt: start.Add(time.Duration(r.Int64N(int64(540 * 24 * time.Hour)))).Truncate(time.Second)})
		}
	}
	return s
}

// shardSource holds the shop in one kind of source and opens fresh state
// stores of the matching kind, one per way of running.
type shardSource struct {
	cfg      sourceconfig.Config
	newState func(t *testing.T) *store.DB
}

func shardSources(t *testing.T, s shop) map[string]shardSource {
	out := map[string]shardSource{}
	csvDir := t.TempDir()
	writeShopCSV(t, csvDir, s)
	out["csv"] = shardSource{cfg: sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: csvDir},
		newState: func(t *testing.T) *store.DB { return testdb.Open(t, testdb.SQLite(t), store.Open) }}
	path, data := newSQLiteData(t)
	loadShopSQL(t, data, s)
	data.Close()
	out["sqlite"] = shardSource{cfg: sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path},
		newState: func(t *testing.T) *store.DB { return testdb.Open(t, testdb.SQLite(t), store.Open) }}
	if testdb.PostgresDSN() != "" {
		db := testdb.Open(t, testdb.Postgres(t), store.Open)
		loadShopSQL(t, db, s)
		out["postgres"] = shardSource{cfg: sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: schemaDSN(t, db)},
			newState: func(t *testing.T) *store.DB { return testdb.Open(t, testdb.Postgres(t), store.Open) }}
	} else {
		t.Logf("PostgreSQL not compared: no test PostgreSQL (set %s)", testdb.DSNEnv)
	}
	return out
}

// runSharded runs the n pods of one sharded run side by side, as an
// Indexed Job does, and returns the report the publishing pod returned.
func runSharded(t *testing.T, o Options, n int, runID string) report.Segment {
	t.Helper()
	o.Segment.Shards = n
	var mu sync.Mutex
	var published []report.Segment
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sum, publish, err := RunShard(context.Background(), o, Shard{RunID: runID, Index: i})
			if err != nil {
				t.Errorf("shard %d/%d: %v", i, n, err)
				return
			}
			if publish {
				mu.Lock()
				published = append(published, sum)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(published) != 1 {
		t.Fatalf("%d shards: %d pods published a report, want exactly 1", n, len(published))
	}
	return published[0]
}

// storedMembers is the published snapshot: each member's stored feature row.
func storedMembers(t *testing.T, db *store.DB, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.SegmentMemberRows(context.Background(), store.SegmentRef{Namespace: "shop", Name: name}, 0, 1,
		func(id string, f *customer.Features) error {
			b, err := json.Marshal(f)
			out[id] = string(b)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestShardedRunsMatchOnePod: for every source kind and every way of
// deciding membership, the job run by one pod (Run) and by 1, 2 and 4
// shards publishes the same report (every figure, the cohort matrix,
// size/entered/exited) and the same membership with the same stored
// feature rows (predicted CLV included), on a first run and on a second run
// ten days later that diffs against the first.
func TestShardedRunsMatchOnePod(t *testing.T) {
	shop := randomShop(5)
	for srcName, src := range shardSources(t, shop) {
		for specName, spec := range shardSpecs {
			t.Run(srcName+"/"+specName, func(t *testing.T) {
				opts := func(db *store.DB, at time.Time) Options {
					return Options{Namespace: "shop", Name: "buyers", Segment: segmentConfig(t, spec), Source: src.cfg, DB: db,
						Clock: func() time.Time { return at }}
				}
				one := src.newState(t)
				var want [2]report.Segment
				for k, at := range []time.Time{asOf, second} {
					sum, err := Run(context.Background(), opts(one, at))
					if err != nil {
						t.Fatal(err)
					}
					want[k] = sum
				}
				p, err := newPlan(segmentConfig(t, spec), src.cfg.Kind)
				if err != nil {
					t.Fatal(err)
				}
				if wantPushdown := specName == "pushdown" && src.cfg.Kind != sourceconfig.KindFile; p.pushdown != wantPushdown {
					t.Fatalf("criteria pushed down: %v, want %v", p.pushdown, wantPushdown)
				}
				if len(want[0].Metrics) != 8 || want[0].Cohorts == nil || want[0].Size == 0 || want[1].Exited+want[1].Entered == 0 {
					t.Fatalf("the data does not exercise every figure: %+v\nsecond run %+v", want[0], want[1])
				}
				wantMembers := storedMembers(t, one, "buyers")
				for _, n := range []int{1, 2, 4} {
					state := src.newState(t)
					for k, at := range []time.Time{asOf, second} {
						got := runSharded(t, opts(state, at), n, fmt.Sprintf("job-%d-%d", n, k))
						if !reflect.DeepEqual(got, want[k]) {
							g, _ := json.Marshal(got)
							w, _ := json.Marshal(want[k])
							t.Errorf("%d shards, run %d: report\n%s\nwant (one pod)\n%s", n, k+1, g, w)
						}
					}
					if got := storedMembers(t, state, "buyers"); !reflect.DeepEqual(got, wantMembers) {
						t.Errorf("%d shards: %d stored members, one pod %d (or their feature rows differ)", n, len(got), len(wantMembers))
						for id, row := range got {
							if wantMembers[id] != row {
								t.Errorf("member %s\n%s\nwant\n%s", id, row, wantMembers[id])
								break
							}
						}
					}
				}
			})
		}
	}
}
