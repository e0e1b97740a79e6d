package datasource

import (
	"context"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestPartitionsCoverEveryCustomerOnce splits 400 random customers 2, 3, 4
// and 16 ways on every source kind and checks that every customer's feature
// row, purchase days and order activity come back from exactly one shard,
// unchanged, and that each shard's orders belong to its own customers.
func TestPartitionsCoverEveryCustomerOnce(t *testing.T) {
	fx := randomFixture(11, 400)
	cfgs := fixtureSources(t, fx)
	q := FeatureQuery{AsOf: fixtureAsOf, Window: fixtureWindow}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			whole := mustOpen(t, cfg)
			all := map[string]customer.Features{}
			for _, f := range collectFeatures(t, whole, q) {
				all[f.ID] = f
			}
			if len(all) < 300 {
				t.Fatalf("fixture has %d customers as of %s; want most of 400", len(all), fixtureAsOf)
			}
			for _, n := range []int{2, 3, 4, 16} {
				seen := map[string]int{}
				nonEmpty, shardOrders := 0, 0
				split, unsplit := shardRows{}, shardRows{}
				for i := range n {
					pcfg, err := Partitioned(cfg, Partition{Index: i, Count: n})
					if err != nil {
						t.Fatal(err)
					}
					part := mustOpen(t, pcfg)
					rows := collectFeatures(t, part, q)
					if len(rows) > 0 {
						nonEmpty++
					}
					for _, f := range rows {
						seen[f.ID]++
						if d := diffFeatures(f, all[f.ID]); len(d) > 0 {
							t.Errorf("%d/%d: customer %s differs from the unsharded row: %v", i, n, f.ID, d)
						}
					}
					shardOrders += scanShardRows(t, part, i, split)
				}
				wholeOrders := scanShardRows(t, whole, 0, unsplit)
				if shardOrders != wholeOrders {
					t.Errorf("%d shards: %d orders in the shards, %d in the source", n, shardOrders, wholeOrders)
				}
				for kind, ids := range unsplit {
					if len(split[kind]) != len(ids) {
						t.Errorf("%d shards: %s of %d customers in the shards, %d in the source", n, kind, len(split[kind]), len(ids))
					}
				}
				for id := range all {
					if seen[id] != 1 {
						t.Errorf("%d shards: customer %s came back from %d shards, want exactly 1", n, id, seen[id])
					}
				}
				if len(seen) != len(all) {
					t.Errorf("%d shards: %d customers in the shards, %d in the source", n, len(seen), len(all))
				}
				if nonEmpty < n {
					t.Errorf("%d shards: only %d hold customers; the hash does not spread 400 ids", n, nonEmpty)
				}
			}
		})
	}
}

// shardRows records, per customer id, the shards whose orders, purchase
// days and order activity named it: each customer's rows must come from one
// shard only, and all of them together must be the unsharded source's.
type shardRows map[string]map[string]int // kind -> customer id -> shard+1

func (s shardRows) add(t *testing.T, kind, id string, shard int) {
	if s[kind] == nil {
		s[kind] = map[string]int{}
	}
	if prev, ok := s[kind][id]; ok && prev != shard+1 {
		t.Errorf("%s of customer %s come from shards %d and %d", kind, id, prev-1, shard)
	}
	s[kind][id] = shard + 1
}

func scanShardRows(t *testing.T, c Connector, shard int, into shardRows) (orders int) {
	t.Helper()
	ctx := context.Background()
	if err := c.ScanOrders(ctx, time.Time{}, func(o *customer.Order) error {
		orders++
		into.add(t, "orders", o.CustomerID, shard)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if pd, ok := c.(PurchaseDayScanner); ok {
		if err := pd.ScanPurchaseDays(ctx, fixtureAsOf, func(p *PurchaseDays) error {
			into.add(t, "purchase days", p.CustomerID, shard)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if oa, ok := c.(OrderActivityScanner); ok {
		q := ActivityQuery{AsOf: fixtureAsOf, ActiveAfter: fixtureAsOf.Add(-2 * fixtureWindow), ActiveUntil: fixtureAsOf.Add(-fixtureWindow)}
		if err := oa.ScanOrderActivity(ctx, q, func(a *OrderActivity) error {
			into.add(t, "order activity", a.CustomerID, shard)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return orders
}

// TestPartitionOfIsStable pins the hash: a change would move customers
// between shards in the middle of a rolling upgrade.
func TestPartitionOfIsStable(t *testing.T) {
	for id, want := range map[string]int{"a": 12, "customer-42": 14, "": 5} {
		if got := PartitionOf(id, 16); got != want {
			t.Errorf("PartitionOf(%q, 16) = %d, want %d", id, got, want)
		}
	}
	if err := (Partition{Index: 4, Count: 4}).Check(); err == nil {
		t.Error("index 4 of 4 accepted")
	}
}
