package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// EndDefault is where generated history ends unless --end says otherwise; the
// features benchmark uses it as AsOf.
var EndDefault = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// generator produces customer i and its orders and feedback from its own
// random stream (PCG seeded with seed and i), so every pass over the data -
// customers, then orders, then feedback, as COPY needs one table at a time -
// regenerates identical rows without holding them in memory.
type generator struct {
	seed      uint64
	customers int
	start     time.Time
	end       time.Time
	// ratePerDay scales each customer's purchase rate so the expected order
	// total over all customers' active spans is the requested count.
	ratePerDay float64
}

var timeZones = []string{"America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
	"Europe/Berlin", "Europe/Paris", "Asia/Tokyo", "Australia/Sydney", ""}
var countries = []string{"US", "US", "US", "GB", "DE", "FR", "JP", "AU"}
var plans = []string{"basic", "basic", "plus", "premium"}

// customerDraws are the per-customer quantities, drawn in a fixed order.
type customerDraws struct {
	id        string
	created   time.Time
	activeEnd time.Time // churned customers stop buying here
	rate      float64   // relative purchase rate, Gamma(2, 1/2): mean 1
	tz        string
	country   string
	plan      string
	consentE  bool
	consentS  bool
	rng       *rand.Rand
}

func newGenerator(seed uint64, customers, orders int, end time.Time, years float64) *generator {
	g := &generator{seed: seed, customers: customers, end: end,
		start: end.Add(-time.Duration(years * 365.25 * 24 * float64(time.Hour)))}
	// Expected orders = ratePerDay * sum(rate_i * activeDays_i); E[rate] = 1.
	var activeDays float64
	for i := 0; i < customers; i++ {
		d := g.draw(i)
		activeDays += d.activeEnd.Sub(d.created).Hours() / 24
	}
	if activeDays > 0 {
		g.ratePerDay = float64(orders) / activeDays
	}
	return g
}

func (g *generator) draw(i int) customerDraws {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	span := g.end.Sub(g.start)
	// Sign-ups grow over time: created = start + span*sqrt(u).
	created := g.start.Add(time.Duration(float64(span) * math.Sqrt(r.Float64()))).Truncate(time.Second)
	activeEnd := g.end
	if r.Float64() < 0.35 { // churned: stopped buying somewhere in their life
		activeEnd = created.Add(time.Duration(float64(g.end.Sub(created)) * r.Float64()))
	}
	rate := (r.ExpFloat64() + r.ExpFloat64()) / 2
	return customerDraws{
		id: "c" + strconv.Itoa(10_000_000 + i)[1:], created: created, activeEnd: activeEnd, rate: rate,
		tz: timeZones[r.IntN(len(timeZones))], country: countries[r.IntN(len(countries))], plan: plans[r.IntN(len(plans))],
		consentE: r.Float64() < 0.7, consentS: r.Float64() < 0.3, rng: r,
	}
}

// order is one generated order.
type order struct {
	id     string
	amount float64
	at     time.Time
}

// orders draws customer d's orders: exponential inter-purchase times at its
// rate from sign-up to activeEnd, log-normal amounts (median ~$33).
func (g *generator) orders(d *customerDraws, buf []order) []order {
	buf = buf[:0]
	lambda := d.rate * g.ratePerDay // orders per day
	if lambda <= 0 {
		return buf
	}
	t := d.created
	for k := 0; ; k++ {
		gap := d.rng.ExpFloat64() / lambda
		t = t.Add(time.Duration(gap * 24 * float64(time.Hour))).Truncate(time.Second)
		if !t.Before(d.activeEnd) {
			return buf
		}
		amount := math.Round(math.Exp(3.5+0.8*d.rng.NormFloat64())*100) / 100
		buf = append(buf, order{id: d.id + "-" + strconv.Itoa(k), amount: amount, at: t})
	}
}

// feedback draws ~30% of customers' NPS answers (1-3 of them, skewed to promoters).
func (g *generator) feedback(d *customerDraws, buf []feedbackRow) []feedbackRow {
	buf = buf[:0]
	if d.rng.Float64() >= 0.3 {
		return buf
	}
	n := 1 + d.rng.IntN(3)
	life := g.end.Sub(d.created)
	for k := 0; k < n; k++ {
		score := int(math.Round(10 - math.Abs(d.rng.NormFloat64())*3))
		score = max(0, min(10, score))
		at := d.created.Add(time.Duration(float64(life) * d.rng.Float64())).Truncate(time.Second)
		buf = append(buf, feedbackRow{score: score, at: at})
	}
	return buf
}

// eventTypes are the behavioural events drawn, with cart_abandoned the one
// playbooks usually trigger on.
var eventTypes = []string{"app_open", "page_view", "page_view", "cart_abandoned", "support_ticket"}

type eventRow struct {
	typ   string
	at    time.Time
	props string // JSON object
}

// events draws a few behavioural events for ~20% of customers, in the last
// 60 days of their active span.
func (g *generator) events(d *customerDraws, buf []eventRow) []eventRow {
	buf = buf[:0]
	if d.rng.Float64() >= 0.2 {
		return buf
	}
	from := d.activeEnd.Add(-60 * 24 * time.Hour)
	if from.Before(d.created) {
		from = d.created
	}
	span := d.activeEnd.Sub(from)
	for range 1 + d.rng.IntN(4) {
		typ := eventTypes[d.rng.IntN(len(eventTypes))]
		at := from.Add(time.Duration(float64(span) * d.rng.Float64())).Truncate(time.Second)
		props := "{}"
		if typ == "cart_abandoned" {
			props = fmt.Sprintf(`{"cart_value":"%.2f"}`, math.Round(math.Exp(3.7+0.6*d.rng.NormFloat64())*100)/100)
		}
		buf = append(buf, eventRow{typ: typ, at: at, props: props})
	}
	return buf
}

type feedbackRow struct {
	score int
	at    time.Time
}

// attributes is the customer's attributes JSON.
func (d *customerDraws) attributes() string {
	return fmt.Sprintf(`{"country":"%s","plan":"%s"}`, d.country, d.plan)
}

// each walks customers in id order; orders/feedback are drawn after the
// customer's own fields so the three passes stay in step.
func (g *generator) each(fn func(d *customerDraws, orders []order, fb []feedbackRow, ev []eventRow) error) error {
	var ob []order
	var fbb []feedbackRow
	var evb []eventRow
	for i := 0; i < g.customers; i++ {
		d := g.draw(i)
		ob = g.orders(&d, ob)
		fbb = g.feedback(&d, fbb)
		evb = g.events(&d, evb) // drawn last so adding events left orders and feedback unchanged
		if err := fn(&d, ob, fbb, evb); err != nil {
			return err
		}
	}
	return nil
}
