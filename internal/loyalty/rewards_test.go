package loyalty

import (
	"errors"
	"reflect"
	"testing"
)

func tieredRewards() Config {
	return Config{
		Tiers: []Tier{{Name: "silver", Threshold: 100, Window: Days(365)},
			{Name: "gold", Threshold: 500, Window: Days(365)},
			{Name: "platinum", Threshold: 2000, Window: Days(365)}},
		Rewards: []Reward{{Name: "mug", Cost: 10},
			{Name: "vip-preview", Cost: 50, MinTier: "gold"},
			{Name: "lounge", Cost: 80, MinTier: "platinum"}},
	}
}

func TestCanRedeem(t *testing.T) {
	cfg := tieredRewards()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	vip, _ := cfg.Reward("vip-preview")
	mug, _ := cfg.Reward("mug")
	for _, c := range []struct {
		reward  Reward
		tier    string
		wantErr string
	}{
		{mug, "", ""},         // no minTier: open to members below every tier
		{vip, "gold", ""},     // exactly the tier
		{vip, "platinum", ""}, // above it
		{vip, "silver", `reward "vip-preview" needs tier gold or above; member is silver`},
		{vip, "", `reward "vip-preview" needs tier gold or above; member has no tier yet`},
		{vip, "retired", `reward "vip-preview" needs tier gold or above; member is retired`}, // a tier no longer listed ranks below all
	} {
		err := cfg.CanRedeem(c.reward, c.tier)
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("CanRedeem(%s, %q) = %v, want nil", c.reward.Name, c.tier, err)
			}
			continue
		}
		var te *TierRequiredError
		if !errors.As(err, &te) || err.Error() != c.wantErr {
			t.Errorf("CanRedeem(%s, %q) = %v, want %s", c.reward.Name, c.tier, err, c.wantErr)
			continue
		}
		if te.Reward != "vip-preview" || te.MinTier != "gold" || te.Tier != c.tier {
			t.Errorf("CanRedeem(%s, %q) error fields = %+v", c.reward.Name, c.tier, *te)
		}
	}
}

func TestRewardsFor(t *testing.T) {
	cfg := tieredRewards()
	for tier, want := range map[string][]string{
		"":         {"mug"},
		"silver":   {"mug"},
		"gold":     {"mug", "vip-preview"},
		"platinum": {"mug", "vip-preview", "lounge"},
	} {
		if got := cfg.RewardsFor(tier); !reflect.DeepEqual(got, want) {
			t.Errorf("RewardsFor(%q) = %v, want %v", tier, got, want)
		}
	}
}

func TestValidateMinTier(t *testing.T) {
	cfg := tieredRewards()
	cfg.Rewards[1].MinTier = "diamond"
	err := cfg.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "rewards[1].minTier" || fe.Problem != `"diamond" names no tier in tiers` {
		t.Errorf("Validate = %v, want rewards[1].minTier names no tier", err)
	}
}
