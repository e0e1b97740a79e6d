package metrics

import (
	"time"

	"context"
	"testing"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/specmap"
	"github.com/retention-dev/retention-operator/internal/store"
)

// A Segment with loyaltyProgramRef sees members' tiers and points from the
// program's ledger in the shared state store.
//
// By hand, with 1 point per unit and gold at 100 points: a earns 20+30+50 =
// 100 (gold), d 200+10+10 = 220 (gold), b 40, c 25, f 75 (bronze); e never
// ordered and is no member of the program.
func TestLoyaltyFeaturesFromTheLedger(t *testing.T) {
	lc, err := specmap.Loyalty(&v1alpha1.LoyaltyProgramSpec{
		Currency: "EUR", PointValue: "0.01", EarnRules: v1alpha1.EarnRules{PointsPerUnit: 1},
		Tiers:             []v1alpha1.Tier{{Name: "bronze"}, {Name: "gold", Threshold: 100}},
		APITokenSecretRef: v1alpha1.SecretKeySelector{Name: "t", Key: "token"},
	})
	if err != nil {
		t.Fatal(err)
	}
	shop := fixtureShop()
	for name, open := range sources(t, shop) {
		t.Run(name, func(t *testing.T) {
			src := open(t)
			ctx := context.Background()
			points, err := store.OpenPoints(ctx, src.db, &lc)
			if err != nil {
				t.Fatal(err)
			}
			for i := range shop.orders {
				o := shop.orders[i]
				if _, err := points.ApplyOrder(ctx, &o, o.OccurredAt); err != nil {
					t.Fatal(err)
				}
			}
			for criteria, want := range map[string]int64{
				`customer.loyaltyTier == "gold"`:                               2,
				`customer.loyaltyTier == "bronze"`:                             3,
				`customer.loyaltyPoints >= 75 && customer.loyaltyPoints < 200`: 2,
				`customer.loyaltyTier == ""`:                                   1,
			} {
				spec := v1alpha1.SegmentSpec{Criteria: criteria, Window: "30d"}
				sum, err := Run(ctx, Options{Namespace: "shop", Name: "tiers", Segment: segmentConfig(t, spec), Source: src.cfg, DB: src.db,
					Loyalty: &lc, Clock: func() time.Time { return asOf }})
				if err != nil {
					t.Fatalf("%s: %v", criteria, err)
				}
				if sum.Size != want {
					t.Errorf("%s: size %d, want %d", criteria, sum.Size, want)
				}
			}
		})
	}
}
