package journey

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

func variantConfig(holdout float64, variants ...Variant) Config {
	step := sendStep("offer", "mail", "Hello {{.email}}")
	step.Send.Variants = variants
	return Config{Name: "ns/winback", Trigger: Trigger{SegmentEntry: true}, HoldoutPercent: holdout, Steps: []Step{step}}
}

// On 100,000 customers each variant's share is within ±1 percentage point
// of its weight's share.
func TestVariantSharesOn100k(t *testing.T) {
	const n = 100000
	for _, weights := range [][]int{{50, 50}, {70, 30}, {50, 30, 20}, {1, 1, 1}, {10, 20, 30, 40}, {1, 1, 1, 1, 1, 1, 1, 1}} {
		vs := make([]Variant, len(weights))
		total := 0
		for i, w := range weights {
			vs[i] = Variant{Name: fmt.Sprintf("v%d", i), Weight: w}
			total += w
		}
		got := map[string]int{}
		for i := 0; i < n; i++ {
			got[AssignVariant("ns/winback", "offer", fmt.Sprintf("cust-%d", i), vs)]++
		}
		for i, v := range vs {
			share, want := 100*float64(got[v.Name])/n, 100*float64(weights[i])/float64(total)
			if math.Abs(share-want) > 1 {
				t.Errorf("weights %v: %s share %.3f%%, want %.3f%% ±1pp", weights, v.Name, share, want)
			}
		}
		t.Logf("weights %v: %v", weights, got)
	}
}

// Through the engine, on 100,000 enrolled customers with a 20% holdout:
// no holdout customer is sent a variant (they are suppressed as holdout
// before assignment), the treatment splits by the weights, and the variant
// hash is independent of the holdout hash (holdout customers, had they been
// assigned, would split the same way).
func TestVariantsDisjointFromHoldout(t *testing.T) {
	const n = 100000
	pb, err := Compile(variantConfig(20,
		Variant{Name: "control", Weight: 1},
		Variant{Name: "discount", Weight: 1, Template: Template{Subject: "10% off"}}), testChannels)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	sent, held := map[string]int{}, 0
	wouldBe := map[string]int{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("cust-%d", i)
		st := pb.Enrol(id, nil, now)
		f := &customer.Features{ID: id, Email: id + "@example.com", ConsentEmail: true}
		_, effs := pb.Advance(st, Input{Now: now, Customer: f})
		if len(effs) != 1 {
			t.Fatalf("%s: %d effects", id, len(effs))
		}
		e := effs[0]
		if st.Holdout {
			held++
			if e.Kind != EffectSuppress || e.Reason != ReasonHoldout || e.Variant != "" {
				t.Fatalf("holdout customer %s got %+v", id, e)
			}
			wouldBe[AssignVariant(pb.Name, "offer", id, pb.Steps[0].Send.Variants)]++
			continue
		}
		if e.Kind != EffectSend || e.Variant == "" || e.Message.Metadata["variant"] != e.Variant {
			t.Fatalf("treatment customer %s got %+v", id, e)
		}
		if wantSubject := map[string]string{"control": "Hi", "discount": "10% off"}[e.Variant]; e.Message.Subject != wantSubject {
			t.Fatalf("variant %s sent subject %q, want %q", e.Variant, e.Message.Subject, wantSubject)
		}
		sent[e.Variant]++
	}
	treated := n - held
	if share := 100 * float64(held) / n; math.Abs(share-20) > 1 {
		t.Errorf("holdout share %.3f%%", share)
	}
	for name, c := range sent {
		if share := 100 * float64(c) / float64(treated); math.Abs(share-50) > 1 {
			t.Errorf("treatment share of %s %.3f%%, want 50 ±1pp", name, share)
		}
	}
	for name, c := range wouldBe {
		if share := 100 * float64(c) / float64(held); math.Abs(share-50) > 1 {
			t.Errorf("holdout would-be share of %s %.3f%%: variant hash not independent of the holdout", name, share)
		}
	}
	t.Logf("holdout %d, sent %v, holdout would-be %v", held, sent, wouldBe)
}

// Assignment depends on nothing but (playbook, step, customer): two compiled
// copies agree; pin and promotion override it, pin first.
func TestVariantChoiceStableAndOverridable(t *testing.T) {
	cfg := variantConfig(0, Variant{Name: "a", Weight: 1}, Variant{Name: "b", Weight: 1})
	p1, err := Compile(cfg, testChannels)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := Compile(cfg, testChannels)
	step := p1.Steps[0]
	counts := map[string]int{}
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("c%d", i)
		_, v1 := p1.chooseVariant(step, id, nil)
		_, v2 := p2.chooseVariant(step, id, nil)
		if v1 != v2 {
			t.Fatalf("%s: %s then %s", id, v1, v2)
		}
		counts[v1]++
		if _, w := p1.chooseVariant(step, id, map[string]string{"offer": "b"}); w != "b" {
			t.Fatalf("promoted b, got %s", w)
		}
	}
	if counts["a"] == 0 || counts["b"] == 0 {
		t.Fatalf("one variant never assigned: %v", counts)
	}
	cfg.Steps[0].Send.Pinned = "a"
	pinned, err := Compile(cfg, testChannels)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if _, v := pinned.chooseVariant(pinned.Steps[0], fmt.Sprintf("c%d", i), map[string]string{"offer": "b"}); v != "a" {
			t.Fatalf("pinned a over promoted b, got %s", v)
		}
	}
	// A promotion naming a variant the spec no longer has falls back to assignment.
	if _, v := p1.chooseVariant(step, "c1", map[string]string{"offer": "gone"}); v == "" || v == "gone" {
		t.Fatalf("stale promotion gave %q", v)
	}
}

func TestVariantValidationNamesTheField(t *testing.T) {
	two := func() []Variant { return []Variant{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}} }
	cases := []struct {
		name  string
		edit  func(*SendStep)
		field string
		want  string
	}{
		{"one variant", func(s *SendStep) { s.Variants = s.Variants[:1] }, "steps[0].send.variants", "between 2 and 8"},
		{"too many", func(s *SendStep) {
			for i := 0; i < MaxVariants; i++ {
				s.Variants = append(s.Variants, Variant{Name: fmt.Sprintf("x%d", i), Weight: 1})
			}
		}, "steps[0].send.variants", "got 10"},
		{"duplicate", func(s *SendStep) { s.Variants[1].Name = "a" }, "steps[0].send.variants[1].name", `duplicate variant name "a"`},
		{"not a DNS label", func(s *SendStep) { s.Variants[0].Name = "Big_A" }, "steps[0].send.variants[0].name", "DNS label"},
		{"zero weight", func(s *SendStep) { s.Variants[1].Weight = 0 }, "steps[0].send.variants[1].weight", "between 1 and 10000"},
		{"unknown channel", func(s *SendStep) { s.Variants[0].ChannelRef = "pigeon" }, "steps[0].send.variants[0].channelRef", `unknown channel "pigeon"`},
		{"bad template", func(s *SendStep) { s.Variants[1].Template.Body = "{{.nope}}" }, "steps[0].send.variants[1].body", `unknown field "nope"`},
		{"pin unknown", func(s *SendStep) { s.Pinned = "c" }, "steps[0].send.pinned", `no variant named "c"`},
		{"pin without variants", func(s *SendStep) { s.Variants, s.Pinned = nil, "a" }, "steps[0].send.variants", "need variants"},
		{"promote sample", func(s *SendStep) { s.Promote = &Promote{MinSamplePerVariant: 0, ProbabilityToBeBest: 0.95} },
			"steps[0].send.promote.minSamplePerVariant", "at least 1"},
		{"promote probability", func(s *SendStep) { s.Promote = &Promote{MinSamplePerVariant: 10, ProbabilityToBeBest: 1} },
			"steps[0].send.promote.probabilityToBeBest", "below 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := variantConfig(0, two()...)
			c.edit(cfg.Steps[0].Send)
			_, err := Compile(cfg, testChannels)
			if err == nil {
				t.Fatal("compiled")
			}
			if !strings.Contains(err.Error(), c.field+": ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name %s with %q", err, c.field, c.want)
			}
		})
	}
}

// Hand-computed example, two steps of arithmetic each.
//
// Wilson 95% (z = 1.959964, z² = 3.841459):
//
//	A: 40 of 200, p = 0.2.  denom = 1 + 3.841459/200 = 1.019207
//	   centre = (0.2 + 3.841459/400) / 1.019207 = 0.209604/1.019207 = 0.205654
//	   half = 1.959964 * sqrt(0.2*0.8/200 + 3.841459/160000) / 1.019207
//	        = 1.959964 * sqrt(0.00082401) / 1.019207 = 0.055202
//	   interval [0.150452, 0.260855]
//	B: 60 of 200, p = 0.3.  centre = (0.3 + 0.0096036)/1.019207 = 0.303769
//	   half = 1.959964 * sqrt(0.3*0.7/200 + 0.00002401) / 1.019207 = 0.063022
//	   interval [0.240747, 0.366791]
//
// Probability to be best with exact integrals over Beta(1,1)-prior posteriors:
//
//	x: 1 of 1 -> Beta(2,1): pdf 2x,      cdf x²
//	y: 0 of 1 -> Beta(1,2): pdf 2(1-x),  cdf 2x - x²
//	z: 0 of 0 -> Beta(1,1): pdf 1,       cdf x
//	P(x best) = ∫ 2x · (2x - x²) · x dx = ∫ 4x³ - 2x⁴ = 1 - 2/5 = 0.6
//	P(y best) = ∫ 2(1-x) · x² · x dx   = 2(1/4 - 1/5)    = 0.1
//	P(z best) = ∫ 1 · x² · (2x - x²) dx = 2/4 - 1/5      = 0.3
//
// and for two arms, u: 1 of 2 -> Beta(2,2) (cdf 3x² - 2x³) and y as above:
//
//	P(y best) = ∫ 2(1-x)(3x² - 2x³) dx = 2(1 - 5/4 + 2/5) = 0.3, P(u best) = 0.7
func TestVariantFiguresHandExample(t *testing.T) {
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.6f, want %.6f", name, got, want)
		}
	}
	vs := []VariantFigures{{Step: "offer", Name: "a", Sends: 200, Conversions: 40}, {Step: "offer", Name: "b", Sends: 200, Conversions: 60}}
	ComputeVariantFigures(vs)
	near("a.rate", vs[0].Rate, 0.2, 1e-12)
	near("a.low", vs[0].Low, 0.150452, 2e-6)
	near("a.high", vs[0].High, 0.260855, 2e-6)
	near("b.rate", vs[1].Rate, 0.3, 1e-12)
	near("b.low", vs[1].Low, 0.240747, 2e-6)
	near("b.high", vs[1].High, 0.366791, 2e-6)

	three := ProbabilityToBeBest([]int64{1, 0, 0}, []int64{1, 1, 0})
	near("P(x best)", three[0], 0.6, 1e-6)
	near("P(y best)", three[1], 0.1, 1e-6)
	near("P(z best)", three[2], 0.3, 1e-6)
	two := ProbabilityToBeBest([]int64{1, 0}, []int64{2, 1})
	near("P(u best)", two[0], 0.7, 1e-6)
	near("P(y best)", two[1], 0.3, 1e-6)

	// The winner is the variant whose probability reaches the threshold,
	// and only once every variant has the minimum sample.
	small := []VariantFigures{{Name: "x", Sends: 1, Conversions: 1}, {Name: "y", Sends: 1}, {Name: "z"}}
	ComputeVariantFigures(small)
	if w := Winner(small, &Promote{MinSamplePerVariant: 1, ProbabilityToBeBest: 0.55}); w != "" {
		t.Errorf("z has 0 sends, below the minimum of 1; promoted %q", w)
	}
	small[2].Sends = 1 // z: 0 of 1 now; x stays best with P > 0.55
	ComputeVariantFigures(small)
	if w := Winner(small, &Promote{MinSamplePerVariant: 1, ProbabilityToBeBest: 0.55}); w != "x" {
		t.Errorf("winner %q, want x (P=%.4f)", w, small[0].ProbabilityToBeBest)
	}
	if w := Winner(small, &Promote{MinSamplePerVariant: 1, ProbabilityToBeBest: 0.99}); w != "" {
		t.Errorf("P(x best)=%.4f is below 0.99; promoted %q", small[0].ProbabilityToBeBest, w)
	}
}

// For two arms with integer parameters P(p_B > p_A) has a closed form
// (Evan Miller, "Formulas for Bayesian A/B testing"): a sum of Beta-function
// ratios. The integration must match it within 0.5% at production sizes.
func TestProbabilityToBeBestMatchesClosedForm(t *testing.T) {
	closed := func(ca, na, cb, nb int64) float64 {
		aA, bA, aB, bB := float64(1+ca), float64(1+na-ca), float64(1+cb), float64(1+nb-cb)
		total := 0.0
		for i := 0.0; i < aB; i++ {
			total += math.Exp(lbeta(aA+i, bA+bB) - math.Log(bB+i) - lbeta(1+i, bB) - lbeta(aA, bA))
		}
		return total
	}
	for _, c := range [][4]int64{{40, 200, 60, 200}, {100, 1000, 120, 1000}, {500, 10000, 530, 10000}, {5, 20, 3, 25}, {3000, 50000, 3100, 50000}} {
		got := ProbabilityToBeBest([]int64{c[0], c[2]}, []int64{c[1], c[3]})
		want := closed(c[0], c[1], c[2], c[3])
		if math.Abs(got[1]-want) > 0.005 || math.Abs(got[0]+got[1]-1) > 0.005 {
			t.Errorf("%v: P(B best) = %.5f (sum %.5f), closed form %.5f", c, got[1], got[0]+got[1], want)
		}
		t.Logf("%v: P(B best) = %.6f, closed form %.6f", c, got[1], want)
	}
}
