package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// Both dialects store a request's messages once per (source, messageId),
// keep sources apart, read track events back in time order with their
// properties, and merge identify traits newest-wins.
func TestStoreIngestedBothDialects(t *testing.T) {
	for name, open := range map[string]func(TB) *DB{"postgres": OpenTestPostgres, "sqlite": OpenTestSQLite} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if err := db.MigrateIngest(ctx); err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			var evs []IngestedEvent
			for i := 0; i < 2500; i++ { // over one statement's rows on SQLite
				evs = append(evs, IngestedEvent{MessageID: fmt.Sprint("m", i), Type: "track", Name: "cart_updated",
					UserID: fmt.Sprint("u", i%7), OccurredAt: t0.Add(time.Duration(2500-i) * time.Second), ReceivedAt: t0,
					Properties: json.RawMessage(fmt.Sprintf(`{"n":%d,"sku":"mug"}`, i))})
			}
			yes, no := true, false
			traits := []TraitUpdate{
				{CustomerID: "u1", Contact: Contact{Email: "new@example.com", ConsentEmail: &yes}, Attributes: json.RawMessage(`{"plan":"gold"}`), At: t0},
				{CustomerID: "u1", Contact: Contact{Email: "old@example.com", ConsentEmail: &no}, Attributes: json.RawMessage(`{"plan":"free"}`), At: t0.Add(-time.Hour)},
				{CustomerID: "u1", Contact: Contact{TimeZone: "Europe/Paris"}, Attributes: json.RawMessage(`{"city":"Lyon"}`), At: t0.Add(time.Hour)},
			}
			for round := 0; round < 2; round++ {
				added, err := db.StoreIngested(ctx, "shop/web", evs, traits)
				if err != nil {
					t.Fatal(err)
				}
				if want := int64(2500 * (1 - round)); added != want {
					t.Errorf("round %d added %d, want %d", round, added, want)
				}
			}
			if _, err := db.StoreIngested(ctx, "shop/other", evs[:1], nil); err != nil {
				t.Fatal(err)
			}
			var read []customer.Event
			if err := db.ScanIngestedEvents(ctx, "shop/web", t0.Add(2400*time.Second), func(e *customer.Event) error {
				read = append(read, *e)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			// Occurred at t0+2400s..t0+2500s: messages 0..100, oldest first.
			if len(read) != 101 || read[0].Properties["n"] != "100" || read[100].Properties["n"] != "0" || read[0].Properties["sku"] != "mug" {
				t.Fatalf("read %d events, first %+v", len(read), read[0])
			}
			var got []Traits
			if err := db.IngestedTraits(ctx, "shop/web", func(tr *Traits) error { got = append(got, *tr); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Email != "new@example.com" || got[0].ConsentEmail == nil || !*got[0].ConsentEmail ||
				got[0].TimeZone != "Europe/Paris" || got[0].Attributes["plan"] != "gold" || got[0].Attributes["city"] != "Lyon" {
				t.Errorf("traits %+v", got)
			}
		})
	}
}
