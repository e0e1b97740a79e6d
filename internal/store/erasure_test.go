package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/journey"
	"github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// The customer to forget and a bystander whose data must stay whole.
var (
	ada = person{id: "cust-4711-ada", email: "ada.lovelace@example.org", name: "Ada Lovelace"}
	bob = person{id: "cust-0815-bob", email: "bob.babbage@example.org", name: "Bob Babbage"}
)

type person struct{ id, email, name string }

func (p person) needles() []string { return []string{p.id, p.email, p.name} }

// fillStores writes p's data into every component through the components'
// own write paths: a segment snapshot with feature rows, journeys with
// ledger rows (sent and pending) and trigger observations, and loyalty
// orders, an event bonus, a redemption and an admin adjustment.
func fillStores(t *testing.T, db *DB, pts *Points, p person, now time.Time) {
	t.Helper()
	ctx := context.Background()
	ref := SegmentRef{Namespace: "shop", Name: "vip-" + p.id[len(p.id)-3:]}
	if _, err := db.ReplaceSegmentSnapshotRows(ctx, ref, now, func(add func(*customer.Features) error) error {
		return add(&customer.Features{ID: p.id, Email: p.email, Frequency: 3, Monetary: 250,
			Attributes: map[string]string{"fullName": p.name}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSubscription(ctx, SubscriptionKey{Namespace: "shop", CustomerID: p.id, ChannelKind: "email", Topic: "offers"}, false, now); err != nil {
		t.Fatal(err)
	}
	props := json.RawMessage(`{"email":"` + p.email + `","name":"` + p.name + `"}`)
	if _, err := db.StoreIngested(ctx, "shop/shop", []IngestedEvent{
		{MessageID: "m-" + p.id, Type: "track", Name: "cart_updated", UserID: p.id, OccurredAt: now, ReceivedAt: now, Properties: props, Context: json.RawMessage(`{}`)},
		{MessageID: "i-" + p.id, Type: "identify", UserID: p.id, OccurredAt: now, ReceivedAt: now, Properties: props, Context: json.RawMessage(`{}`)},
	}, []TraitUpdate{{CustomerID: p.id, Contact: Contact{Email: p.email, Name: p.name}, Attributes: json.RawMessage(`{}`), At: now}}); err != nil {
		t.Fatal(err)
	}
	for i, pb := range []string{"shop/winback", "shop/onboarding"} {
		err := db.JourneyTx(ctx, "shop", pb, []string{p.id}, now.Add(-24*time.Hour), func(map[string]int) (*JourneyBatch, error) {
			status := DeliverySent
			if i == 1 {
				status = DeliveryPending
			}
			return &JourneyBatch{
				States: []journey.State{{CustomerID: p.id, Enrolment: 1, Step: 1, StepName: "hello", Status: journey.Active,
					EnteredAt: now, DueAt: now.Add(time.Hour), Sends: 1,
					// The triggering event's properties are the customer's data too.
					Event: journey.NewTriggerEvent(customer.Event{CustomerID: p.id, Type: "cart_updated", OccurredAt: now,
						Properties: map[string]string{"recipient": p.email, "giftFor": p.name}})}},
				Deliveries: []Delivery{{Key: journey.IdempotencyKey(pb, p.id, 1, "hello"), Namespace: "shop", Playbook: pb,
					CustomerID: p.id, Step: "hello", Kind: DeliveryMessage, Channel: "email", To: p.email,
					Subject: "Hello " + p.name, Body: "Dear " + p.name + ", your id is " + p.id,
					HTML: "<p>Dear " + p.name + "</p>", Status: status, CreatedAt: now}},
				Seen: map[string]journey.Seen{p.id: journey.Seen("in:" + ref.Key())},
			}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	orders := []customer.Order{
		{CustomerID: p.id, OrderID: "o-" + p.id + "-1", Amount: 120, OccurredAt: now.Add(-48 * time.Hour)},
		{CustomerID: p.id, OrderID: "o-" + p.id + "-2", Amount: 80, OccurredAt: now.Add(-47 * time.Hour)},
	}
	for i := range orders {
		if _, err := pts.ApplyOrder(ctx, &orders[i], now); err != nil {
			t.Fatal(err)
		}
	}
	// No event id: its ledger key is built from the customer id.
	if _, err := pts.ApplyEvent(ctx, &customer.Event{CustomerID: p.id, Type: "review", OccurredAt: now.Add(-46 * time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pts.Redeem(ctx, p.id, "coffee", 50, "redeem-"+p.id, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pts.Adjust(ctx, p.id, 10, "goodwill for "+p.name+" <"+p.email+">", "adjust-"+p.id, now); err != nil {
		t.Fatal(err)
	}
}

func erasureProgram() loyalty.Config {
	return loyalty.Config{
		EarnRules: loyalty.EarnRules{PointsPerUnit: 1, EventBonuses: []loyalty.EventBonus{{EventType: "review", Points: 25}}},
		Tiers:     []loyalty.Tier{{Name: "silver", Threshold: 150, Window: loyaltyDays(365), DowngradeGrace: loyaltyDays(30)}},
		Rewards:   []loyalty.Reward{{Name: "coffee", Cost: 50}},
	}
}

// figures are what status is made of: loyalty totals and members per tier,
// and each playbook's ledger counts and journey tallies.
type figures struct {
	Totals     LedgerTotals
	Deliveries map[string]map[string]int64
	Journeys   map[string]int64
}

func readFigures(t *testing.T, db *DB, pts *Points, now time.Time) figures {
	t.Helper()
	ctx := context.Background()
	tot, err := pts.Totals(ctx, now.Add(-365*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	f := figures{Totals: tot, Deliveries: map[string]map[string]int64{}, Journeys: map[string]int64{}}
	for _, pb := range []string{"shop/winback", "shop/onboarding"} {
		if f.Deliveries[pb], err = db.DeliveryCounts(ctx, pb); err != nil {
			t.Fatal(err)
		}
		var n, sends, converted int64
		if err := db.QueryRow(ctx, `SELECT count(*), COALESCE(sum(sends), 0), COALESCE(sum(converted), 0)
			FROM journey_states WHERE playbook = $1`, pb).Scan(&n, &sends, &converted); err != nil {
			t.Fatal(err)
		}
		f.Journeys[pb+" journeys"], f.Journeys[pb+" sends"], f.Journeys[pb+" converted"] = n, sends, converted
	}
	return f
}

// textColumns lists every text column of every table in the store, from
// the database's own catalogue, so a table added later is searched too.
func textColumns(t *testing.T, db *DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	if db.Dialect == Postgres {
		rows, err := db.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var tb, col string
			if err := rows.Scan(&tb, &col); err != nil {
				t.Fatal(err)
			}
			out[tb] = append(out[tb], col)
		}
		return out
	}
	var tables []string
	rows, err := db.Query(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb string
		if err := rows.Scan(&tb); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	rows.Close()
	for _, tb := range tables {
		cols, err := db.Query(ctx, `SELECT name, type FROM pragma_table_info($1)`, tb)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var col, typ string
			if err := cols.Scan(&col, &typ); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToUpper(typ), "TEXT") || strings.Contains(strings.ToUpper(typ), "CHAR") {
				out[tb] = append(out[tb], col)
			}
		}
		cols.Close()
	}
	return out
}

// traces returns "table.column" for every text cell holding one of
// needles (case-insensitive), with how many rows.
func traces(t *testing.T, db *DB, needles []string) map[string]int {
	t.Helper()
	found := map[string]int{}
	cols := textColumns(t, db)
	if len(cols) < 10 {
		t.Fatalf("catalogue lists only %d tables with text columns: %v", len(cols), cols)
	}
	for tb, cs := range cols {
		for _, c := range cs {
			for _, n := range needles {
				var k int
				q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE lower(%q) LIKE '%%' || lower($1) || '%%'`, tb, c)
				if err := db.QueryRow(context.Background(), q, n).Scan(&k); err != nil {
					t.Fatalf("%s.%s: %v", tb, c, err)
				}
				if k > 0 {
					found[tb+"."+c+" ~ "+n] += k
				}
			}
		}
	}
	return found
}

// TestForgetLeavesNoTrace: after Forget, no text cell of any table holds
// the customer's id, email or name; the bystander's data is all still
// there; loyalty totals and playbook figures are the same; a second Forget
// touches nothing; and the erased id is on the erasure list.
func TestForgetLeavesNoTrace(t *testing.T) {
	forEachDialect(t, migrations((*DB).MigrateJourney, (*DB).MigrateSubscriptions, (*DB).MigrateIngest, (*DB).MigrateSegments), func(t *testing.T, ctx context.Context, db *DB) {
		pts := openPoints(t, db, erasureProgram())
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		fillStores(t, db, pts, ada, now)
		fillStores(t, db, pts, bob, now)

		before := traces(t, db, ada.needles())
		if len(before) < 8 {
			t.Fatalf("the fixture put the customer in only %d places, the test would prove little: %v", len(before), before)
		}
		bobBefore := traces(t, db, bob.needles())
		figBefore := readFigures(t, db, pts, now)
		bobView, err := pts.Member(ctx, bob.id, now)
		if err != nil {
			t.Fatal(err)
		}

		er, err := db.Forget(ctx, ada.id, now)
		if err != nil {
			t.Fatal(err)
		}
		if er.Run != 1 || er.Touched() == 0 || strings.Contains(er.Pseudonym, ada.id) {
			t.Fatalf("first erasure: %+v", er)
		}
		for _, tb := range []string{"journey_states", "delivery_ledger", "points_members", "points_entries", "segment_members", "segment_member_features"} {
			if er.Rows[tb] == 0 {
				t.Errorf("erasure touched no row of %s: %v", tb, er.Rows)
			}
		}
		if left := traces(t, db, ada.needles()); len(left) > 0 {
			t.Fatalf("after forget the store still holds the customer: %v", left)
		}
		if got := traces(t, db, bob.needles()); !reflect.DeepEqual(got, bobBefore) {
			t.Fatalf("the bystander's data changed:\n got %v\nwant %v", got, bobBefore)
		}
		if v, err := pts.Member(ctx, bob.id, now); err != nil || !reflect.DeepEqual(v, bobView) {
			t.Fatalf("bystander's balance: %+v, %v; want %+v", v, err, bobView)
		}
		if _, err := pts.Member(ctx, ada.id, now); !errors.Is(err, ErrUnknownMember) {
			t.Fatalf("erased member still answers: %v", err)
		}

		figAfter := readFigures(t, db, pts, now)
		// The pending message of the erased customer must never be sent:
		// it is failed now; every other figure is unchanged.
		want := figBefore
		ob := map[string]int64{}
		for k, v := range want.Deliveries["shop/onboarding"] {
			ob[k] = v
		}
		ob["message/pending"]--
		ob["message/failed"]++
		if ob["message/pending"] == 0 {
			delete(ob, "message/pending")
		}
		want.Deliveries = map[string]map[string]int64{"shop/winback": want.Deliveries["shop/winback"], "shop/onboarding": ob}
		if !reflect.DeepEqual(figAfter, want) {
			t.Fatalf("figures moved:\n got %+v\nwant %+v", figAfter, want)
		}
		if figAfter.Totals.Available+figAfter.Totals.Pending == 0 || figAfter.Totals.Earned == 0 {
			t.Fatalf("totals are empty, the comparison proves nothing: %+v", figAfter.Totals)
		}

		again, err := db.Forget(ctx, ada.id, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if again.Run != 2 || again.Touched() != 0 || again.Pseudonym != er.Pseudonym {
			t.Fatalf("second erasure: %+v (first %+v)", again, er)
		}
		if got := readFigures(t, db, pts, now); !reflect.DeepEqual(got, figAfter) {
			t.Fatalf("second forget moved figures:\n got %+v\nwant %+v", got, figAfter)
		}
		var logged int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM erasure_log WHERE pseudonym = $1`, er.Pseudonym).Scan(&logged); err != nil || logged != 2 {
			t.Fatalf("erasure log rows: %d, %v; want 2", logged, err)
		}
		list, err := db.LoadErasedIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !list.Has(ada.id) || list.Has(bob.id) || list.Len() != 1 {
			t.Fatalf("erasure list: has ada %v, has bob %v, len %d", list.Has(ada.id), list.Has(bob.id), list.Len())
		}

		// The data source still holds the customer: the next snapshot
		// must not bring them back (nor count them).
		ref := SegmentRef{Namespace: "shop", Name: "everyone"}
		diff, err := db.ReplaceSegmentSnapshotRows(ctx, ref, now.Add(time.Hour), func(add func(*customer.Features) error) error {
			for _, p := range []person{ada, bob} {
				if err := add(&customer.Features{ID: p.id, Email: p.email, Attributes: map[string]string{"fullName": p.name}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff.Size != 1 {
			t.Fatalf("snapshot after forget: %+v, want only the bystander", diff)
		}
		if left := traces(t, db, ada.needles()); len(left) > 0 {
			t.Fatalf("a snapshot re-imported the erased customer: %v", left)
		}

		// A campaign batch computed before the erasure (its worker still
		// had the customer in memory) is written without them.
		err = db.JourneyTx(ctx, "shop", "shop/winback", []string{ada.id, bob.id}, now, func(map[string]int) (*JourneyBatch, error) {
			b := &JourneyBatch{Seen: map[string]journey.Seen{}}
			for _, p := range []person{ada, bob} {
				b.States = append(b.States, journey.State{CustomerID: p.id, Enrolment: 2, StepName: "hello", Status: journey.Active, EnteredAt: now})
				b.Deliveries = append(b.Deliveries, Delivery{Key: journey.IdempotencyKey("shop/winback", p.id, 2, "hello"),
					Namespace: "shop", Playbook: "shop/winback", CustomerID: p.id, Step: "hello", Kind: DeliveryMessage,
					Channel: "email", To: p.email, Body: "Dear " + p.name, Status: DeliveryPending, CreatedAt: now})
				b.Seen[p.id] = "x"
			}
			return b, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if left := traces(t, db, ada.needles()); len(left) > 0 {
			t.Fatalf("a stale campaign batch wrote the erased customer back: %v", left)
		}
		// The message it planned for them is counted as suppressed, so
		// the playbook's messages still add up.
		if c, err := db.JourneyCounters(ctx, "shop/winback"); err != nil || c["suppressed/erased"] != 1 {
			t.Fatalf("counters %v (%v), want suppressed/erased 1", c, err)
		}
		// The loyalty ingest reads a new order and event of the customer
		// from the source: they are not credited, nobody is enrolled.
		totalsBefore := readFigures(t, db, pts, now).Totals
		if _, err := pts.ApplyOrder(ctx, &customer.Order{CustomerID: ada.id, OrderID: "o-late", Amount: 500, OccurredAt: now}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := pts.ApplyEvent(ctx, &customer.Event{CustomerID: ada.id, Type: "review", OccurredAt: now}, now); err != nil {
			t.Fatal(err)
		}
		if left := traces(t, db, ada.needles()); len(left) > 0 {
			t.Fatalf("the loyalty ingest enrolled the erased customer again: %v", left)
		}
		if got := readFigures(t, db, pts, now).Totals; !reflect.DeepEqual(got, totalsBefore) {
			t.Fatalf("a late order of the erased customer moved the totals: %+v, want %+v", got, totalsBefore)
		}
		var bobPending int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM delivery_ledger WHERE customer_id = $1 AND status = 'pending'`, bob.id).Scan(&bobPending); err != nil || bobPending != 2 {
			t.Fatalf("bystander's pending rows: %d, %v; want 2 (the fixture's and the batch's)", bobPending, err)
		}
	})
}

// TestForgetRefusesBadIDs: ids that cannot be a customer's are refused
// with a typed error before anything is touched.
func TestForgetRefusesBadIDs(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite(t), Open)
	for _, id := range []string{"", "   ", strings.Repeat("x", MaxCustomerIDLength+1), "\xff\xfe"} {
		_, err := db.Forget(context.Background(), id, time.Now())
		var ce *CustomerIDError
		if !errors.As(err, &ce) {
			t.Errorf("Forget(%q): %v, want a CustomerIDError", id, err)
		}
	}
}

// A round's trigger observations name customers with no journey yet (so no
// customer lock of the round's): an erasure that commits before the round
// writes them, or while the round's transaction is open, still leaves no
// journey_seen row under the id. TestForgetWhileRunning showed the second
// case as a flake: the row came back after Forget.
func TestErasedObservationsAreNotWrittenBack(t *testing.T) {
	forEachDialect(t, (*DB).MigrateJourney, func(t *testing.T, ctx context.Context, db *DB) {
		const playbook = "shop/series"
		now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
		seen := func(id string) int {
			t.Helper()
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM journey_seen WHERE customer_id = $1`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		observe := func(during func(), ids ...string) {
			t.Helper()
			obs := map[string]journey.Seen{}
			for _, id := range ids {
				obs[id] = "1"
			}
			if err := db.JourneyTx(ctx, "shop", playbook, nil, now, func(map[string]int) (*JourneyBatch, error) {
				during()
				return &JourneyBatch{Seen: obs}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}

		// Erased before the round writes: the observation is dropped, the
		// other customer's kept.
		if _, err := db.Forget(ctx, "ada", now); err != nil {
			t.Fatal(err)
		}
		observe(func() {}, "ada", "bob")
		if seen("ada") != 0 || seen("bob") != 1 {
			t.Fatalf("after an earlier erasure: ada %d rows, bob %d; want 0 and 1", seen("ada"), seen("bob"))
		}

		// Erased while the round's transaction is open: the erasure waits
		// for it and then deletes what it wrote.
		forgot := make(chan error, 1)
		observe(func() {
			go func() {
				_, err := db.Forget(ctx, "cy", now)
				forgot <- err
			}()
			time.Sleep(300 * time.Millisecond) // Forget has had time to run, were it not held back
		}, "cy")
		if err := <-forgot; err != nil {
			t.Fatal(err)
		}
		if n := seen("cy"); n != 0 {
			t.Fatalf("erased during the round: %d journey_seen rows for cy; want 0", n)
		}
	})
}
