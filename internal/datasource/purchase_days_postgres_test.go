package datasource

import (
	"context"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// purchaseDaysOf gives the same days and the same float64 repeat spend
// whatever order a buyer's orders arrive in (a full scan, a restricted
// incremental one and a shard may each get another plan's order).
func TestPurchaseDaysOfIgnoresRowOrder(t *testing.T) {
	days := []int64{20000, 20003, 20000, 20010, 20003, 20003}
	amounts := []float64{0.1, 0.2, 0.3, 1e16, 1, -1e16}
	var want PurchaseDays
	purchaseDaysOf(days, amounts, nil, &want)
	if want.Days != 3 || want.FirstDay != 20000 || want.LastDay != 20010 {
		t.Fatalf("got %+v, want 3 days from 20000 to 20010", want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		rng.Shuffle(len(days), func(i, j int) {
			days[i], days[j] = days[j], days[i]
			amounts[i], amounts[j] = amounts[j], amounts[i]
		})
		var got PurchaseDays
		purchaseDaysOf(days, amounts, nil, &got)
		if got != want {
			t.Fatalf("order %v %v: got %+v, want %+v", days, amounts, got, want)
		}
	}
}

// A user's orders table may keep amounts as numeric (or text) and leave some
// NULL: the arrays cast each amount to float8 and count a NULL as 0, as the
// features query's sum does.
func TestPurchaseDaysPostgresNumericAndNullAmounts(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE orders (customer_id text, order_id text, amount numeric(12,2), occurred_at timestamptz);
		INSERT INTO orders VALUES
			('a', '1', 10.50, '2024-03-01T09:00:00Z'),
			('a', '2', NULL,  '2024-03-01T18:00:00Z'),
			('a', '3', 4.25,  '2024-03-05T10:00:00Z'),
			('a', '4', 1.00,  '2024-03-05T23:59:59Z'),
			('a', '5', 99,    '2024-04-01T00:00:00Z'),
			('b', '6', 7,     '2024-03-02T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindPostgres, DSN: schemaDSN(t, testdb.PostgresDSN(), db)})
	asOf := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC) // order 5 is after it
	day := func(s string) int64 { d, _ := time.Parse(time.DateOnly, s); return d.Unix() / 86400 }
	want := map[string]PurchaseDays{
		"a": {CustomerID: "a", Days: 2, FirstDay: day("2024-03-01"), LastDay: day("2024-03-05"), RepeatSpend: 5.25},
		"b": {CustomerID: "b", Days: 1, FirstDay: day("2024-03-02"), LastDay: day("2024-03-02")},
	}
	if got := scanPurchaseDays(t, c.(PurchaseDayScanner), asOf); !maps.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
