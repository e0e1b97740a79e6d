package loyalty

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/retention-dev/retention-operator/internal/customer"
	engine "github.com/retention-dev/retention-operator/internal/loyalty"
	"github.com/retention-dev/retention-operator/internal/store"
)

// NoTier labels members below every tier in summaries and metrics.
const NoTier = "none"

// Summary is the program's aggregates (no member data), published to the
// controller and exported as Prometheus gauges.
type Summary struct {
	AsOf           time.Time        `json:"asOf"`
	Members        int64            `json:"members"`
	MembersPerTier map[string]int64 `json:"membersPerTier"`
	// PointsOutstanding = PointsAvailable + PointsPending (unexpired).
	PointsAvailable   int64 `json:"pointsAvailable"`
	PointsPending     int64 `json:"pointsPending"`
	PointsOutstanding int64 `json:"pointsOutstanding"`
	// Liability = PointsOutstanding * PointValue, in Currency.
	Liability  float64 `json:"liability"`
	Currency   string  `json:"currency"`
	PointValue float64 `json:"pointValue"`
	// RedemptionRate = PointsRedeemed / PointsEarned over the window (0 when nothing was earned).
	Window         string  `json:"window"`
	PointsEarned   int64   `json:"pointsEarned"`
	PointsRedeemed int64   `json:"pointsRedeemed"`
	RedemptionRate float64 `json:"redemptionRate"`
	// Repeat compares repeat-purchase rates of members and non-members over the window.
	Repeat *engine.RepeatRates `json:"repeat,omitempty"`
}

// Summarize computes the summary at now. With src, repeat-purchase rates are
// computed from the orders of the window (members = customers with a ledger
// member row).
func Summarize(ctx context.Context, p *store.Points, cfg *engine.Config, src Source, window time.Duration, now time.Time) (Summary, error) {
	since := now.Add(-window)
	t, err := p.Totals(ctx, since, now)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{AsOf: now, MembersPerTier: map[string]int64{}, Currency: cfg.Currency, PointValue: cfg.PointValue,
		Window: window.String(), PointsAvailable: t.Available, PointsPending: t.Pending,
		PointsEarned: t.Earned, PointsRedeemed: t.Redeemed}
	for _, tier := range cfg.Tiers {
		s.MembersPerTier[tier.Name] = 0 // a tier with no members still shows (as 0)
	}
	s.MembersPerTier[NoTier] = 0
	for tier, n := range t.MembersPerTier {
		if tier == "" {
			tier = NoTier
		}
		s.MembersPerTier[tier] += n
		s.Members += n
	}
	s.PointsOutstanding = s.PointsAvailable + s.PointsPending
	s.Liability = float64(s.PointsOutstanding) * cfg.PointValue
	if s.PointsEarned > 0 {
		s.RedemptionRate = float64(s.PointsRedeemed) / float64(s.PointsEarned)
	}
	if src != nil {
		ids, err := p.MemberIDs(ctx)
		if err != nil {
			return s, err
		}
		members := make(map[string]bool, len(ids))
		for _, id := range ids {
			members[id] = true
		}
		var rc engine.RepeatCounter
		if err := src.ScanOrders(ctx, since, func(o *customer.Order) error {
			if !o.OccurredAt.After(now) {
				rc.Add(o)
			}
			return nil
		}); err != nil {
			return s, fmt.Errorf("scan orders for repeat rates: %w", err)
		}
		r := rc.Rates(func(id string) bool { return members[id] })
		s.Repeat = &r
	}
	return s, nil
}

// summaryGauges export a Summary.
type summaryGauges struct {
	members     *prometheus.GaugeVec
	points      *prometheus.GaugeVec
	liability   prometheus.Gauge
	redemption  prometheus.Gauge
	repeatRates *prometheus.GaugeVec
}

func newSummaryGauges(reg prometheus.Registerer) *summaryGauges {
	g := &summaryGauges{
		members: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "loyalty_members",
			Help: "Loyalty members per tier (tier=\"none\" below every tier)."}, []string{"tier"}),
		points: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "loyalty_points_outstanding",
			Help: "Unexpired points not yet spent, by state (available, pending)."}, []string{"state"}),
		liability: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loyalty_points_liability",
			Help: "Outstanding points times the program's point value, in the program currency."}),
		redemption: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loyalty_redemption_rate",
			Help: "Points redeemed / points earned over the metrics window."}),
		repeatRates: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "loyalty_repeat_purchase_rate",
			Help: "Buyers with >= 2 orders / buyers, over the metrics window, for members and non-members."}, []string{"group"}),
	}
	reg.MustRegister(g.members, g.points, g.liability, g.redemption, g.repeatRates)
	return g
}

func (g *summaryGauges) set(s Summary) {
	g.members.Reset()
	for tier, n := range s.MembersPerTier {
		g.members.WithLabelValues(tier).Set(float64(n))
	}
	g.points.WithLabelValues("available").Set(float64(s.PointsAvailable))
	g.points.WithLabelValues("pending").Set(float64(s.PointsPending))
	g.liability.Set(s.Liability)
	g.redemption.Set(s.RedemptionRate)
	if s.Repeat != nil {
		g.repeatRates.WithLabelValues("member").Set(s.Repeat.MemberRate)
		g.repeatRates.WithLabelValues("non_member").Set(s.Repeat.NonMemberRate)
	}
}
