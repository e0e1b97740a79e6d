package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// Choices are kept per namespace, customer, channel kind and topic, the last
// one wins, and they survive closing the handle (a new one reads them back).
func TestSubscriptionChoicesBothDialects(t *testing.T) {
	for name, open := range testdb.Each(store.Open) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if err := db.MigrateSubscriptions(ctx); err != nil {
				t.Fatal(err)
			}
			at := time.UnixMilli(1_700_000_000_000)
			k := store.SubscriptionKey{Namespace: "shop", CustomerID: "c1", ChannelKind: "email", Topic: "offers"}
			if err := db.SetSubscription(ctx, k, false, at); err != nil {
				t.Fatal(err)
			}
			other := k
			other.Topic = "newsletter"
			if err := db.SetSubscription(ctx, other, false, at); err != nil {
				t.Fatal(err)
			}
			if err := db.SetSubscription(ctx, other, true, at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			got, err := db.SubscriptionChoices(ctx, "shop", "c1", "email")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got["offers"] || !got["newsletter"] {
				t.Fatalf("choices = %v, want offers=false newsletter=true", got)
			}
			un, err := db.UnsubscribedAmong(ctx, "shop", []string{"c1", "c2"})
			if err != nil {
				t.Fatal(err)
			}
			if len(un) != 1 || len(un["c1"]) != 1 || !un["c1"]["email/offers"] {
				t.Fatalf("unsubscribed = %v, want only c1 email/offers", un)
			}
			if un, _ := db.UnsubscribedAmong(ctx, "elsewhere", []string{"c1"}); len(un) != 0 {
				t.Fatalf("another namespace sees %v", un)
			}
		})
	}
}
