package loyalty

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * float64(24*time.Hour))) }

// validConfig returns cfg as Validate leaves it (defaults filled in),
// failing t if it is not valid.
func validConfig(t *testing.T, cfg Config) Config {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRoundPoints(t *testing.T) {
	for _, c := range []struct {
		x    float64
		mode string
		want int64
	}{
		{19.99 * 100, RoundFloor, 1999}, // float64 gives 1998.9999999999998
		{12.5, RoundFloor, 12}, {12.5, RoundRound, 13}, {12.5, RoundCeil, 13},
		{12.4, RoundRound, 12}, {12.0, RoundCeil, 12}, {12.000001, RoundCeil, 13},
		{0.1 * 3 * 10, RoundCeil, 3}, // 3.0000000000000004 must not ceil to 4
		{7.9, "", 7},
	} {
		if got := RoundPoints(c.x, c.mode); got != c.want {
			t.Errorf("RoundPoints(%v, %q) = %d, want %d", c.x, c.mode, got, c.want)
		}
	}
}

func TestEarning(t *testing.T) {
	cfg := validConfig(t, Config{
		EarnRules: EarnRules{PointsPerUnit: 2, Rounding: RoundRound,
			EventBonuses:    []EventBonus{{EventType: "review", Points: 25}, {EventType: "app_install", Points: 50}},
			TierMultipliers: map[string]float64{"gold": 1.5}},
		Tiers: []Tier{{Name: "gold", Threshold: 1, Window: Days(1)}},
	})
	for _, c := range []struct {
		amount float64
		tier   string
		want   int64
	}{
		{10.25, "", 21},      // round(20.5) = 21 (half away from zero)
		{10.25, "gold", 31},  // round(30.75) = 31
		{0, "gold", 0},       // nothing spent
		{-5, "", 0},          // refunds earn nothing
		{33.33, "other", 67}, // unknown tier: multiplier 1, round(66.66)
	} {
		if got := cfg.OrderPoints(c.amount, c.tier); got != c.want {
			t.Errorf("OrderPoints(%v, %q) = %d, want %d", c.amount, c.tier, got, c.want)
		}
	}
	if cfg.EventBonus("review") != 25 || cfg.EventBonus("page_view") != 0 {
		t.Error("event bonus")
	}
	for _, c := range []struct {
		earned         int64
		amount, refund float64
		want           int64
	}{
		{150, 100, 0, 150},   // full (no amount given)
		{150, 100, 100, 150}, // full
		{150, 100, 250, 150}, // over-refund capped
		{150, 100, 33.3, 50}, // round(150*0.333) = round(49.95) = 50
		{151, 100, 50, 76},   // round(75.5) = 76
	} {
		if got := cfg.RefundPoints(c.earned, c.amount, c.refund); got != c.want {
			t.Errorf("RefundPoints(%d, %v, %v) = %d, want %d", c.earned, c.amount, c.refund, got, c.want)
		}
	}
}

func TestDecideTier(t *testing.T) {
	cfg := validConfig(t, Config{Tiers: []Tier{
		{Name: "silver", Threshold: 100, Window: Days(365), DowngradeGrace: Days(30)},
		{Name: "gold", Threshold: 500, Window: Days(365), DowngradeGrace: Days(60)},
	}})
	for _, c := range []struct {
		name       string
		state      TierState
		qualified  string
		now        time.Time
		want       TierState
		wantChange *TierChange
	}{
		{"first qualification", TierState{}, "silver", day(1), TierState{Tier: "silver"}, &TierChange{"", "silver", TierUp, day(1)}},
		{"skip a tier up", TierState{Tier: ""}, "gold", day(1), TierState{Tier: "gold"}, &TierChange{"", "gold", TierUp, day(1)}},
		{"upgrade clears grace", TierState{Tier: "silver", BelowSince: day(1)}, "gold", day(2), TierState{Tier: "gold"}, &TierChange{"silver", "gold", TierUp, day(2)}},
		{"still qualifies", TierState{Tier: "gold", BelowSince: day(1)}, "gold", day(2), TierState{Tier: "gold"}, nil},
		{"falls below: grace starts", TierState{Tier: "gold"}, "silver", day(10), TierState{Tier: "gold", BelowSince: day(10)}, nil},
		{"inside grace (gold 60d)", TierState{Tier: "gold", BelowSince: day(10)}, "", day(69.9), TierState{Tier: "gold", BelowSince: day(10)}, nil},
		{"grace over: straight down", TierState{Tier: "gold", BelowSince: day(10)}, "", day(70), TierState{}, &TierChange{"gold", "", TierDown, day(70)}},
		{"grace over: to qualified", TierState{Tier: "gold", BelowSince: day(10)}, "silver", day(71), TierState{Tier: "silver"}, &TierChange{"gold", "silver", TierDown, day(71)}},
	} {
		got, change := cfg.DecideTier(c.state, c.qualified, c.now)
		if got != c.want || !reflect.DeepEqual(change, c.wantChange) {
			t.Errorf("%s: %+v %+v, want %+v %+v", c.name, got, change, c.want, c.wantChange)
		}
	}
	metric := func(basis string, w time.Duration) float64 { return 120 }
	if q := cfg.QualifiedTier(metric); q != "silver" {
		t.Errorf("qualified %q", q)
	}
	if p := cfg.ProgressToNext("silver", metric); p == nil || p.NextTier != "gold" || p.Remaining != 380 || p.Fraction != 0.24 {
		t.Errorf("progress %+v, want gold, 380 to go, 0.24", p)
	}
	if p := cfg.ProgressToNext("gold", metric); p != nil {
		t.Errorf("progress at top %+v", p)
	}
}

func TestLots(t *testing.T) {
	cfg := Config{PointsExpiry: &PointsExpiry{Mode: ExpiryFixed, After: Days(30), WarningWindow: Days(5)}}
	lots := []Lot{ // deliberately unsorted
		{ID: 3, EarnedAt: day(20), AvailableAt: day(34), ExpiresAt: day(64), Remaining: 50}, // pending until 34
		{ID: 1, EarnedAt: day(0), AvailableAt: day(0), ExpiresAt: day(30), Remaining: 40},   // partly spent
		{ID: 2, EarnedAt: day(10), AvailableAt: day(10), ExpiresAt: day(40), Remaining: 100},
	}
	if a, p := Balance(lots, day(25)); a != 140 || p != 50 {
		t.Errorf("balance at 25: %d/%d, want 140/50", a, p)
	}
	takes, ok := PlanRedemption(lots, 60, day(25))
	if !ok || !reflect.DeepEqual(takes, []Take{{1, 40}, {2, 20}}) {
		t.Errorf("FIFO plan %v %v, want lot 1 fully then 20 from lot 2", takes, ok)
	}
	if _, ok := PlanRedemption(lots, 141, day(25)); ok {
		t.Error("planned beyond the available 140 (pending 50 must not count)")
	}
	if got := cfg.ExpiredAt(lots, time.Time{}, day(30)); !reflect.DeepEqual(got, []Take{{1, 40}}) {
		t.Errorf("expired at 30: %v", got)
	}
	if pts, at := cfg.Expiring(lots, time.Time{}, day(26)); pts != 40 || !at.Equal(day(30)) {
		t.Errorf("expiring at 26: %d at %v", pts, at)
	}
	takes, short := PlanReversal(lots, 3, 70, day(25))
	if short != 0 || !reflect.DeepEqual(takes, []Take{{3, 50}, {1, 20}}) {
		t.Errorf("reversal %v short %d, want own lot 3 first then oldest", takes, short)
	}
	if _, short := PlanReversal(lots, 0, 200, day(25)); short != 10 {
		t.Errorf("reversal shortfall %d, want 10 (190 exist)", short)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"rounding", Config{EarnRules: EarnRules{Rounding: "up"}}, "earnRules.rounding"},
		{"multiplier for missing tier", Config{EarnRules: EarnRules{TierMultipliers: map[string]float64{"gold": 2}}}, "earnRules.tierMultipliers.gold"},
		{"tier order", Config{Tiers: []Tier{{Name: "a", Threshold: 5, Window: Days(1)}, {Name: "b", Threshold: 1, Window: Days(1)}}}, "tiers[1].threshold"},
		{"tier window", Config{Tiers: []Tier{{Name: "a", Threshold: 5}}}, "tiers[0].window"},
		{"basis", Config{Tiers: []Tier{{Name: "a", Basis: "visits", Window: Days(1)}}}, "tiers[0].basis"},
		{"reward cost", Config{Rewards: []Reward{{Name: "x"}}}, "rewards[0].cost"},
		{"expiry mode", Config{PointsExpiry: &PointsExpiry{Mode: "never", After: Days(1)}}, "pointsExpiry.mode"},
	} {
		var fe *FieldError
		if err := c.cfg.Validate(); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want a FieldError on %s", c.name, err, c.field)
		}
	}
}
