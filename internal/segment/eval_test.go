package segment

import (
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// lapsedVIP is a hand-made row: 120 days since the last of 5 orders worth 640 in total.
func lapsedVIP() *customer.Features {
	return &customer.Features{
		ID: "c-1", Email: "ann@example.com", TimeZone: "Europe/Berlin",
		RecencyDays: 120, Frequency: 5, Monetary: 640, AverageOrderValue: 128, TenureDays: 700,
		WindowOrders: 0, WindowSpend: 0,
		FirstOrderAt: time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC),
		LastOrderAt:  time.Date(2026, 7, 27, 0, 0, 0, 0, time.UTC),
		CreatedAt:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NPS:          -1, LoyaltyTier: "gold", LoyaltyPoints: 1500,
		ChurnProbability: 0.72, PredictedCLV: 210.5,
		ConsentEmail: true, ConsentSMS: false,
		Attributes: map[string]string{"plan": "pro"},
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"customer.recencyDays > 90.0 && customer.frequency >= 2 && customer.monetary > 100.0", true},
		{"customer.recencyDays > 120.0", false}, // strictly greater: 120 is not > 120
		{"customer.recencyDays >= 120.0", true},
		{"customer.averageOrderValue == customer.monetary / double(customer.frequency)", true},
		{"customer.tenureDays > 365.0 && customer.windowOrders == 0 && customer.windowSpend == 0.0", true},
		{"customer.nps == -1", true},
		{"customer.nps >= 9", false},
		{"customer.loyaltyTier in ['gold', 'platinum']", true},
		{"customer.loyaltyTier == 'silver' || customer.loyaltyPoints > 1000", true},
		{"customer.churnProbability > 0.7 && customer.predictedCLV > 200.0", true},
		{"customer.consentEmail && !customer.consentSMS", true},
		{"customer.attributes['plan'] == 'pro'", true},
		{"'trial' in customer.attributes", false},
		{"customer.email.endsWith('@example.com') && customer.id == 'c-1'", true},
		{"customer.timeZone.startsWith('Europe/')", true},
		{"customer.lastOrderAt > timestamp('2026-07-01T00:00:00Z')", true},
		{"customer.lastOrderAt - customer.firstOrderAt > duration('8760h')", true}, // 929 days apart
		{"customer.createdAt < customer.firstOrderAt", true},
	}
	f := lapsedVIP()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := Compile(tt.expr)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			got, err := p.Matches(f)
			if err != nil {
				t.Fatalf("Matches: %v", err)
			}
			if got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchesRuntimeErrorNamesExpression(t *testing.T) {
	p, err := Compile("customer.attributes['missing'] == 'x'")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Matches(lapsedVIP())
	if err == nil || !strings.Contains(err.Error(), "no such key: missing") || !strings.Contains(err.Error(), "customer.attributes['missing']") {
		t.Fatalf("err = %v, want a no-such-key error naming the expression", err)
	}
}

func TestMatchesNilAttributes(t *testing.T) {
	p, err := Compile("!('plan' in customer.attributes)")
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Matches(&customer.Features{})
	if err != nil || !got {
		t.Fatalf("Matches = %v, %v; want true, nil", got, err)
	}
}

func TestMatchesJourney(t *testing.T) {
	f := lapsedVIP()
	j := &Journey{
		Step:          "reminder",
		EnteredAt:     time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		Sends:         2,
		Converted:     false,
		DaysInJourney: 4.5,
	}
	tests := []struct {
		expr string
		want bool
	}{
		{"journey.step == 'reminder' && journey.sends >= 2", true},
		{"journey.converted || journey.daysInJourney > 7.0", false},
		{"journey.daysInJourney > 3.0 && customer.consentEmail", true},
		{"journey.enteredAt > customer.lastOrderAt", true},
		{"journey.sends < 2", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := CompileWith(tt.expr, WithJourney())
			if err != nil {
				t.Fatalf("CompileWith: %v", err)
			}
			got, err := p.MatchesJourney(f, j)
			if err != nil {
				t.Fatalf("MatchesJourney: %v", err)
			}
			if got != tt.want {
				t.Errorf("MatchesJourney = %v, want %v", got, tt.want)
			}
		})
	}
	p, err := CompileWith("journey.sends > 0", WithJourney())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.MatchesJourney(f, nil); err == nil {
		t.Error("MatchesJourney with nil journey succeeded, want an error")
	}
}
