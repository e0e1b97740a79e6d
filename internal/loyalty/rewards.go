package loyalty

import "fmt"

// TierRequiredError refuses a reward the member's tier does not reach.
type TierRequiredError struct {
	Reward  string // the reward asked for
	MinTier string // the lowest tier that may redeem it
	Tier    string // the member's current tier, "" below every tier
}

func (e *TierRequiredError) Error() string {
	member := "member is " + e.Tier
	if e.Tier == "" {
		member = "member has no tier yet"
	}
	return fmt.Sprintf("reward %q needs tier %s or above; %s", e.Reward, e.MinTier, member)
}

// CanRedeem reports whether a member in tier may redeem r: true when r has no
// MinTier, else when index(tier) >= index(r.MinTier) in Tiers (a tier the
// program does not list, including "", is below every tier). The error is a
// *TierRequiredError naming the tier needed.
func (c *Config) CanRedeem(r Reward, tier string) error {
	if r.MinTier == "" || c.tierIndex(tier) >= c.tierIndex(r.MinTier) {
		return nil
	}
	return &TierRequiredError{Reward: r.Name, MinTier: r.MinTier, Tier: tier}
}

// RewardsFor lists the names of the rewards a member in tier may redeem
// (whatever their balance), in catalogue order; never nil.
func (c *Config) RewardsFor(tier string) []string {
	out := []string{}
	for _, r := range c.Rewards {
		if c.CanRedeem(r, tier) == nil {
			out = append(out, r.Name)
		}
	}
	return out
}
