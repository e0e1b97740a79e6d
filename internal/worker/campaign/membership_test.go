package campaign

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	"github.com/retention-dev/retention-operator/internal/journey"
	segmentcfg "github.com/retention-dev/retention-operator/internal/metrics"
	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
	"github.com/retention-dev/retention-operator/internal/worker/metrics"
)

// truthAsOf is when the metric job evaluates the fixture shop.
var truthAsOf = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)

// loadTruthShop writes 80 customers with 0-5 orders each (a deterministic
// sequence with enough repeat buyers for the BG/NBD and Gamma-Gamma fits;
// a third stopped buying long ago, so churn probabilities spread) into db's
// default tables. Every fourth customer has no webhook consent.
func loadTruthShop(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := datasource.CreateTables(ctx, db.DB, true); err != nil {
		t.Fatal(err)
	}
	seed := uint64(7)
	next := func(n uint64) uint64 {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed % n
	}
	created := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 80; i++ {
		id := fmt.Sprintf("p%02d", i)
		attrs := fmt.Sprintf(`{%q: "%t"}`, journey.ConsentWebhookAttribute, i%4 != 3)
		if _, err := db.Exec(ctx, `INSERT INTO customers (id, email, created_at, attributes) VALUES ($1, $2, $3, $4)`,
			id, id+"@example.com", dialectTime(db, created), attrs); err != nil {
			t.Fatal(err)
		}
		orders := int(next(6))
		for k := 0; k < orders; k++ {
			ago := next(300) + 1
			if i%3 == 0 {
				ago = 200 + next(100)
			}
			at := truthAsOf.Add(-time.Duration(ago) * 24 * time.Hour)
			amount := float64(5+next(60)) + float64(next(100))/100
			if _, err := db.Exec(ctx, `INSERT INTO orders (customer_id, order_id, amount, occurred_at) VALUES ($1, $2, $3, $4)`,
				id, fmt.Sprintf("%s-%d", id, k), amount, dialectTime(db, at)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// dialectTime is x as db stores a timestamp column: RFC 3339 text in
// SQLite, a time.Time in PostgreSQL.
func dialectTime(db *store.DB, x time.Time) any {
	if db.Dialect == store.SQLite {
		return x.Format(time.RFC3339Nano)
	}
	return x
}

// truthStores returns, per dialect, the shop as a data source and a state
// store of the same kind.
func truthStores(t *testing.T) map[string]func(t *testing.T) (sourceconfig.Config, *store.DB) {
	return map[string]func(t *testing.T) (sourceconfig.Config, *store.DB){
		"sqlite": func(t *testing.T) (sourceconfig.Config, *store.DB) {
			path := filepath.Join(t.TempDir(), "shop.db")
			data, err := store.Open(context.Background(), "sqlite:"+path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { data.Close() })
			loadTruthShop(t, data)
			return sourceconfig.Config{Kind: sourceconfig.KindSQLite, Path: path}, testdb.Open(t, testdb.SQLite(t), store.Open)
		},
		"postgres": func(t *testing.T) (sourceconfig.Config, *store.DB) {
			db := testdb.Open(t, testdb.Postgres(t), store.Open)
			loadTruthShop(t, db)
			dsn := testdb.SchemaDSN(t, testdb.PostgresDSN(), db) // the same server testdb.Postgres found
			return sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: dsn}, db
		},
	}
}

// The set a campaign worker enrols equals the metric job's membership, for
// criteria over predicted features (churnProbability, predictedCLV) that
// only the metric job computes; the set messaged is that membership minus
// holdout and non-consenting customers. Both on SQLite and PostgreSQL.
func TestEnrolmentEqualsMetricJobMembership(t *testing.T) {
	criteria := map[string]string{
		"churnProbability": `customer.churnProbability < 0.5`,
		"predictedCLV":     `customer.predictedCLV > 20.0`,
	}
	for dialect, open := range truthStores(t) {
		for feature, expr := range criteria {
			t.Run(dialect+"/"+feature, func(t *testing.T) {
				ctx := context.Background()
				cfg, db := open(t)
				seg := store.SegmentRef{Namespace: "shop", Name: "predicted-" + strings.ToLower(feature)}
				_, err := metrics.Run(ctx, metrics.Options{Namespace: seg.Namespace, Name: seg.Name, Source: cfg, DB: db,
					Segment: segmentcfg.SegmentConfig{Criteria: expr, Window: 90 * 24 * time.Hour},
					Clock:   func() time.Time { return truthAsOf }})
				if err != nil {
					t.Fatal(err)
				}
				want, err := db.SegmentMembers(ctx, seg.Key())
				if err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 || len(want) == 80 {
					t.Fatalf("the metric job's membership has %d of 80 customers; the criteria must split them", len(want))
				}
				// Each member's stored row carries the predicted feature the
				// criteria used, as the metric job computed it.
				predicted := 0
				err = db.SegmentMemberRows(ctx, seg, 0, 1, func(id string, f *customer.Features) error {
					switch {
					case f == nil:
						t.Errorf("member %s has no stored feature row", id)
					case feature == "churnProbability" && f.ChurnProbability >= 0.5:
						t.Errorf("member %s stored churnProbability %v, want < 0.5", id, f.ChurnProbability)
					case feature == "predictedCLV" && f.PredictedCLV <= 20:
						t.Errorf("member %s stored predictedCLV %v, want > 20", id, f.PredictedCLV)
					}
					if f != nil && (f.ChurnProbability > 0 || f.PredictedCLV > 0) {
						predicted++
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if predicted == 0 {
					t.Errorf("no member's stored row carries a predicted feature")
				}
				conn, err := datasource.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				recv := newReceiver(t, 0)
				pb := journey.Config{Name: "shop/predicted", Namespace: "shop", SegmentRef: seg.Name,
					Trigger: journey.Trigger{SegmentEntry: true}, HoldoutPercent: 20,
					Steps: []journey.Step{{Name: "hi", Send: &journey.SendStep{ChannelRef: "hook",
						Template: journey.Template{Subject: "Hi", Body: "{{.email}}"}}}}}
				runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: pb, DB: db, Source: conn, Segment: &seg}))
				states, err := db.LoadJourneyStates(ctx, pb.Name, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				wantSent := map[string]bool{}
				for id := range want {
					if _, ok := states[id]; !ok {
						t.Errorf("member %s was not enrolled", id)
					}
					var n int
					fmt.Sscanf(id, "p%02d", &n) //nolint:errcheck // ids are generated above
					if !journey.InHoldout(pb.Name, id, 20) && n%4 != 3 {
						wantSent[id] = true
					}
				}
				for id := range states {
					if !want[id] {
						t.Errorf("customer %s was enrolled but is not a member", id)
					}
				}
				// Each consenting treatment member is messaged once, no one else.
				got := recv.customers()
				onceEach(t, "customer", got, wantSent)
				t.Logf("%s: metric job members %d, enrolled %d, messaged %d", expr, len(want), len(states), len(got))
			})
		}
	}
}

// countingSource counts the feature scans a worker issues and the rows they
// return.
type countingSource struct {
	memSource
	scans, rows int
}

func (c *countingSource) ScanFeatures(ctx context.Context, q datasource.FeatureQuery, fn func(*customer.Features) error) error {
	c.scans++
	return c.memSource.ScanFeatures(ctx, q, func(f *customer.Features) error {
		c.rows++
		return fn(f)
	})
}

// Steady state with 100,000 members and no new metric run: a poll reads no
// feature row from the data source and no member row from the state store
// (the snapshot is read once per metric run). initialMembers: Skip enrols
// nobody of the first snapshot; a later run's one entrant is enrolled.
func TestSteadyPollReadsNoFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 members")
	}
	const n = 100000
	ctx := context.Background()
	db := testdb.Open(t, testdb.SQLite(t), store.Open)
	if err := db.MigrateSegments(ctx); err != nil {
		t.Fatal(err)
	}
	seg := store.SegmentRef{Namespace: "shop", Name: "everyone"}
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	snapshot := func(at time.Time, n int) {
		t.Helper()
		_, err := db.ReplaceSegmentSnapshotRows(ctx, seg, at, func(add func(*customer.Features) error) error {
			for i := 0; i < n; i++ {
				f := customer.Features{ID: fmt.Sprintf("c%06d", i), Attributes: map[string]string{journey.ConsentWebhookAttribute: "true"}}
				if err := add(&f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	snapshot(at, n)
	t.Logf("snapshot of %d members stored in %v", n, time.Since(start))
	recv := newReceiver(t, 0)
	src := &countingSource{}
	for i := 0; i <= n; i++ {
		src.feats = append(src.feats, customer.Features{ID: fmt.Sprintf("c%06d", i),
			Attributes: map[string]string{journey.ConsentWebhookAttribute: "true"}})
	}
	clock := &stepClock{now: at.Add(time.Hour), step: time.Second}
	pb := onEntry("shop/steady", "hi", "hook", journey.Template{Subject: "Hi", Body: "Hi"})
	pb.SegmentRef = seg.Name
	w := newShardWorker(t, withHook(t, recv.srv.URL, Options{Playbook: pb, DB: db, Source: src, Segment: &seg,
		InitialMembers: InitialMembersSkip, Clock: clock.Now}))
	if err := db.MigrateSegments(ctx); err != nil {
		t.Fatal(err)
	}
	poll := func() {
		t.Helper()
		if _, err := w.round(ctx); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	poll()
	t.Logf("first poll (reads the snapshot, records %d members as seen) took %v", n, time.Since(start))
	if w.snap.rowsRead != n || src.scans != 0 || len(recv.keys()) != 0 {
		t.Fatalf("first poll: %d member rows read, %d feature scans, %d messages; want %d, 0, 0 (Skip)",
			w.snap.rowsRead, src.scans, len(recv.keys()), n)
	}
	start = time.Now()
	for i := 0; i < 3; i++ {
		poll()
	}
	t.Logf("three steady polls took %v", time.Since(start))
	t.Logf("after 4 polls with %d members: %d member rows read from the state store, %d feature scans (%d rows) of the data source",
		n, w.snap.rowsRead, src.scans, src.rows)
	if w.snap.rowsRead != n || src.scans != 0 || src.rows != 0 {
		t.Fatalf("steady polls read %d more member rows and issued %d feature scans (%d rows); want none",
			w.snap.rowsRead-n, src.scans, src.rows)
	}
	// The next metric run adds one member: it alone is enrolled, and its
	// current row is read (one query) for the send.
	snapshot(at.Add(24*time.Hour), n+1)
	poll()
	got := recv.customers()
	if len(got) != 1 || got[fmt.Sprintf("c%06d", n)] != 1 || src.scans != 1 {
		t.Fatalf("after a run with one entrant: messages %v and %d feature reads, want one to c%06d and 1 read", got, src.scans, n)
	}
}

// Consent is the data source's at send time, not the metric run's: a member
// whose stored row shows consent but who has since revoked it is not
// messaged; one the source no longer has is not messaged either.
func TestSnapshotMembersConsentAtSendTime(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.MigrateSegments(ctx); err != nil {
			t.Fatal(err)
		}
		seg := store.SegmentRef{Namespace: "shop", Name: "all"}
		consent := func(id, v string) customer.Features {
			return customer.Features{ID: id, Attributes: map[string]string{journey.ConsentWebhookAttribute: v}}
		}
		if _, err := db.ReplaceSegmentSnapshotRows(ctx, seg, time.Now(), func(add func(*customer.Features) error) error {
			for _, f := range []customer.Features{consent("kept", "true"), consent("revoked", "true"), consent("deleted", "true")} {
				if err := add(&f); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		src := &memSource{feats: []customer.Features{consent("kept", "true"), consent("revoked", "false")}}
		recv := newReceiver(t, 0)
		pb := onEntry("shop/consent", "hi", "hook", journey.Template{Subject: "Hi", Body: "Hi"})
		pb.SegmentRef = seg.Name
		runIdle(t, withHook(t, recv.srv.URL, Options{Playbook: pb, DB: db, Source: src, Segment: &seg}))
		if got := recv.customers(); len(got) != 1 || got["kept"] != 1 {
			t.Fatalf("messages %v, want one to kept only", got)
		}
	})
}
