package specmap

import (
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/api/v1alpha1"
	"github.com/retention-dev/retention-operator/internal/loyalty"
)

const day = 24 * time.Hour

func dur(d time.Duration) loyalty.Duration { return loyalty.Duration{Duration: d} }

// fullProgram sets every field of the spec.
func fullProgram() v1alpha1.LoyaltyProgramSpec {
	return v1alpha1.LoyaltyProgramSpec{
		DataSourceRef: v1alpha1.LocalObjectReference{Name: "shop"},
		Currency:      "EUR",
		PointValue:    "0.01",
		EarnRules: v1alpha1.EarnRules{
			PointsPerUnit: 2,
			Rounding:      "Ceil",
			EventBonuses:  []v1alpha1.EventBonus{{EventType: "review_written", Points: 50}},
			TierMultipliers: []v1alpha1.TierMultiplier{
				{Tier: "silver", Percent: 125}, {Tier: "gold", Percent: 150}},
		},
		TierQualification: &v1alpha1.TierQualification{Basis: "Spend", Window: "180d"},
		Tiers: []v1alpha1.Tier{
			{Name: "silver", Threshold: 500, DowngradeGrace: "30d", Benefits: []string{"free shipping"}},
			{Name: "gold", Threshold: 2000, DowngradeGrace: "1w12h"},
		},
		Rewards: []v1alpha1.Reward{
			{Name: "voucher-5", Cost: 500, Description: "5 EUR off"},
			{Name: "lounge", Cost: 3000, MinTier: "gold"},
		},
		PointsExpiry:      &v1alpha1.PointsExpiry{Mode: "Inactivity", After: "365d", WarningWindow: "30d"},
		PendingPeriod:     "14d",
		APITokenSecretRef: v1alpha1.SecretKeySelector{Name: "loyalty-api", Key: "token"},
	}
}

func TestLoyalty(t *testing.T) {
	tests := []struct {
		name    string
		spec    func(*v1alpha1.LoyaltyProgramSpec)
		want    loyalty.Config
		wantErr string
	}{
		{name: "every field",
			spec: func(*v1alpha1.LoyaltyProgramSpec) {},
			want: loyalty.Config{
				Currency: "EUR", PointValue: 0.01,
				EarnRules: loyalty.EarnRules{PointsPerUnit: 2, Rounding: loyalty.RoundCeil,
					EventBonuses:    []loyalty.EventBonus{{EventType: "review_written", Points: 50}},
					TierMultipliers: map[string]float64{"silver": 1.25, "gold": 1.5}},
				Tiers: []loyalty.Tier{
					{Name: "silver", Threshold: 500, Basis: loyalty.BasisSpend, Window: dur(180 * day), DowngradeGrace: dur(30 * day)},
					{Name: "gold", Threshold: 2000, Basis: loyalty.BasisSpend, Window: dur(180 * day), DowngradeGrace: dur(7*day + 12*time.Hour)},
				},
				Rewards: []loyalty.Reward{{Name: "voucher-5", Cost: 500, Description: "5 EUR off"}, {Name: "lounge", Cost: 3000, MinTier: "gold"}},
				PointsExpiry: &loyalty.PointsExpiry{Mode: loyalty.ExpiryInactivity, After: dur(365 * day),
					WarningWindow: dur(30 * day)},
				PendingPeriod: dur(14 * day),
			}},
		{name: "defaults: floor rounding, points basis over 365d, no expiry, no tiers",
			spec: func(s *v1alpha1.LoyaltyProgramSpec) {
				s.EarnRules = v1alpha1.EarnRules{PointsPerUnit: 1}
				s.TierQualification, s.Tiers, s.Rewards, s.PointsExpiry, s.PendingPeriod = nil, nil, nil, nil, ""
			},
			want: loyalty.Config{Currency: "EUR", PointValue: 0.01,
				EarnRules: loyalty.EarnRules{PointsPerUnit: 1, Rounding: loyalty.RoundFloor}}},
		{name: "tier qualification without window keeps 365d, Round, Fixed expiry",
			spec: func(s *v1alpha1.LoyaltyProgramSpec) {
				s.EarnRules = v1alpha1.EarnRules{PointsPerUnit: 3, Rounding: "Round"}
				s.TierQualification = &v1alpha1.TierQualification{Basis: "Points"}
				s.Tiers = []v1alpha1.Tier{{Name: "gold", Threshold: 1000}}
				s.Rewards = nil
				s.PointsExpiry = &v1alpha1.PointsExpiry{Mode: "Fixed", After: "2w"}
				s.PendingPeriod = "36h"
				s.PointValue = "1"
			},
			want: loyalty.Config{Currency: "EUR", PointValue: 1,
				EarnRules:     loyalty.EarnRules{PointsPerUnit: 3, Rounding: loyalty.RoundRound},
				Tiers:         []loyalty.Tier{{Name: "gold", Threshold: 1000, Basis: loyalty.BasisPoints, Window: dur(365 * day)}},
				PointsExpiry:  &loyalty.PointsExpiry{Mode: loyalty.ExpiryFixed, After: dur(14 * day)},
				PendingPeriod: dur(36 * time.Hour)}},
		{name: "point value not a number",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.PointValue = "1,5" },
			wantErr: `spec.pointValue "1,5" is not a non-negative decimal number`},
		{name: "point value empty",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.PointValue = "" },
			wantErr: "spec.pointValue is empty"},
		{name: "bad duration names the field",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.Tiers[1].DowngradeGrace = "3 days" },
			wantErr: "spec.tiers[1].downgradeGrace"},
		{name: "unknown rounding",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.EarnRules.Rounding = "Banker" },
			wantErr: `spec.earnRules.rounding "Banker"`},
		{name: "unknown expiry mode",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.PointsExpiry.Mode = "Never" },
			wantErr: `spec.pointsExpiry.mode "Never"`},
		{name: "engine validation: multiplier for a tier that is not listed",
			spec: func(s *v1alpha1.LoyaltyProgramSpec) {
				s.EarnRules.TierMultipliers = append(s.EarnRules.TierMultipliers, v1alpha1.TierMultiplier{Tier: "platinum", Percent: 200})
			},
			wantErr: "spec.earnRules.tierMultipliers.platinum: names no tier"},
		{name: "engine validation: reward minTier that is not listed",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.Rewards[1].MinTier = "platinum" },
			wantErr: `spec.rewards[1].minTier: "platinum" names no tier in tiers`},
		{name: "engine validation: expiry without a lifetime",
			spec:    func(s *v1alpha1.LoyaltyProgramSpec) { s.PointsExpiry.After = "" },
			wantErr: "spec.pointsExpiry.after: must be a positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := fullProgram()
			tt.spec(&spec)
			got, err := Loyalty(&spec)
			expectMapped(t, got, err, tt.want, tt.wantErr)
		})
	}
}
