package metrics

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/retention-dev/retention-operator/internal/metrics"
)

// shardPartial is what one shard of a sharded run contributes to the
// figures: counts and exact sums over its own customers, which add up over
// the shards because every customer is in exactly one of them. It is stored
// as JSON beside the shard's members (store.FinishShard).
type shardPartial struct {
	Customers  int64            `json:"customers"`
	EvalErrors int64            `json:"evalErrors"`
	Issues     map[string]int64 `json:"issues,omitempty"`

	Members        int64    `json:"members"`
	Buyers         int      `json:"buyers"`
	RepeatBuyers   int      `json:"repeatBuyers"`
	Orders         int      `json:"orders"`
	Revenue        exactSum `json:"revenue"`
	LifetimeSpend  exactSum `json:"lifetimeSpend"`
	LifetimeBuyers int64    `json:"lifetimeBuyers"`
	PredictedCLV   exactSum `json:"predictedCLV"`
	NPSPromoters   int64    `json:"npsPromoters"`
	NPSDetractors  int64    `json:"npsDetractors"`
	NPSRespondents int64    `json:"npsRespondents"`

	// Retention and Cohorts are set when the spec asks for order metrics.
	Retention *metrics.RetentionCounts `json:"retention,omitempty"`
	Cohorts   *metrics.CohortCounts    `json:"cohorts,omitempty"`
}

// partial takes the shard's figures from a run that scanned one partition.
func (r *run) partial() shardPartial {
	t := r.totals
	p := shardPartial{
		Customers: r.customers, EvalErrors: r.evalErrors, Issues: r.issues,
		Members: t.members, Buyers: t.purchases.Customers, RepeatBuyers: t.purchases.RepeatCustomers,
		Orders: t.purchases.Orders, Revenue: t.revenue, LifetimeSpend: t.lifetimeSpend,
		LifetimeBuyers: t.lifetimeBuyers, PredictedCLV: t.predictedCLV,
		NPSPromoters: t.npsScores.promoters, NPSDetractors: t.npsScores.detractors, NPSRespondents: t.npsScores.respondents,
	}
	if r.act != nil {
		c := r.act.retention()
		p.Retention = &c
		if r.act.cohort != nil {
			cc := r.act.cohort.Counts()
			p.Cohorts = &cc
		}
	}
	return p
}

// merge adds a shard's partial into the run that publishes. The members'
// predicted CLV is not taken from the parts when the publishing pod scores
// the members itself (scored = true).
func (r *run) merge(raw string, scored bool) error {
	var p shardPartial
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return fmt.Errorf("a shard's stored figures are not valid JSON: %w", err)
	}
	r.customers += p.Customers
	r.evalErrors += p.EvalErrors
	if len(p.Issues) > 0 {
		if r.issues == nil {
			r.issues = map[string]int64{}
		}
		for k, v := range maps.All(p.Issues) {
			r.issues[k] += v
		}
	}
	t := &r.totals
	t.members += p.Members
	t.purchases.Customers += p.Buyers
	t.purchases.RepeatCustomers += p.RepeatBuyers
	t.purchases.Orders += p.Orders
	t.revenue.merge(p.Revenue)
	t.lifetimeSpend.merge(p.LifetimeSpend)
	t.lifetimeBuyers += p.LifetimeBuyers
	if !scored {
		t.predictedCLV.merge(p.PredictedCLV)
	}
	t.npsScores.promoters += p.NPSPromoters
	t.npsScores.detractors += p.NPSDetractors
	t.npsScores.respondents += p.NPSRespondents
	if r.act != nil {
		if p.Retention == nil {
			return fmt.Errorf("a shard stored no retention counts; its spec differs from this pod's")
		}
		c := p.Retention
		m := &r.act.merged
		m.Start, m.End, m.New, m.Lost = m.Start+c.Start, m.End+c.End, m.New+c.New, m.Lost+c.Lost
		if r.act.cohort != nil {
			if p.Cohorts == nil {
				return fmt.Errorf("a shard stored no cohort counts; its spec differs from this pod's")
			}
			if err := r.act.cohort.AddCounts(*p.Cohorts); err != nil {
				return err
			}
		}
	}
	return nil
}
