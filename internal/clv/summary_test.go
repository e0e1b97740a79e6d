package clv

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSummarizeHandComputed(t *testing.T) {
	orders := []customer.Order{
		// c1: days 1 Jan (10+5 on one day), 8 Jan (20), 22 Jan (40); 1 Feb is after the end.
		{CustomerID: "c1", Amount: 20, OccurredAt: day("2024-01-08")},
		{CustomerID: "c1", Amount: 10, OccurredAt: day("2024-01-01")},
		{CustomerID: "c1", Amount: 5, OccurredAt: time.Date(2024, 1, 1, 18, 30, 0, 0, time.UTC)},
		{CustomerID: "c1", Amount: 40, OccurredAt: day("2024-01-22")},
		{CustomerID: "c1", Amount: 99, OccurredAt: day("2024-02-01")},
		// c2: two orders on one day: no repeat purchase.
		{CustomerID: "c2", Amount: 7, OccurredAt: day("2024-01-15")},
		{CustomerID: "c2", Amount: 8, OccurredAt: day("2024-01-15")},
		// c3: first order after the end: not in the calibration period at all.
		{CustomerID: "c3", Amount: 1, OccurredAt: day("2024-02-02")},
	}
	end := day("2024-01-29")
	got, err := summarize(orders, end, week)
	if err != nil {
		t.Fatal(err)
	}
	want := []Summary{
		// x = 3 days - 1 = 2; t_x = 21 days / 7 = 3; T = 28/7 = 4; m = (20+40)/2 = 30.
		{CustomerID: "c1", Frequency: 2, Recency: 3, T: 4, Monetary: 30},
		// x = 0, t_x = 0, T = 14/7 = 2, m = 0.
		{CustomerID: "c2", Frequency: 0, Recency: 0, T: 2, Monetary: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	daily, err := summarize(orders, end, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if daily[0].Recency != 21 || daily[0].T != 28 {
		t.Errorf("in days: recency %v, T %v, want 21 and 28", daily[0].Recency, daily[0].T)
	}
	if _, err := summarize(orders, end, 0); err == nil {
		t.Error("unit 0 was accepted")
	}
}

// readReferenceSummary reads the lifetimes CSV (ID is the sample id) into
// rows keyed by sample id: frequency, recency, T and, with five columns, zbar.
func readReferenceSummary(t *testing.T, name string) map[string][]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float64{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(strings.TrimSpace(sc.Text()), ",")
		vals := make([]float64, len(cols)-1)
		for i, c := range cols[1:] {
			if vals[i], err = strconv.ParseFloat(c, 64); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		out[cols[0]] = vals
	}
	return out
}

// sampleIDs maps master customer id -> sample id (1..2357) from the sample file.
func sampleIDs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(cdnowSample)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 5 {
			n, _ := strconv.Atoi(f[1])
			ids[f[0]] = strconv.Itoa(n)
		}
	}
	return ids
}

func TestSummarizeMatchesLifetimesCDNOWSummaries(t *testing.T) {
	rows := cdnowSampleSummaries(t)
	ids := sampleIDs(t)
	plain := readReferenceSummary(t, "cdnow_customers_summary.csv")
	withMoney := readReferenceSummary(t, "cdnow_customers_summary_with_transactions.csv")
	if len(plain) != len(rows) {
		t.Fatalf("reference has %d customers, we have %d", len(plain), len(rows))
	}
	// The references are rounded to 2 decimals.
	const tol = 0.005 + 1e-9
	checked := 0
	for _, s := range rows {
		sid := ids[s.CustomerID]
		ref, ok := plain[sid]
		if !ok {
			t.Fatalf("customer %s (sample id %q) missing from the reference", s.CustomerID, sid)
		}
		got := []float64{s.Frequency, s.Recency, s.T}
		for i, name := range []string{"frequency", "recency", "T"} {
			if math.Abs(got[i]-ref[i]) > tol {
				t.Errorf("sample id %s: %s = %.4f, reference %.2f", sid, name, got[i], ref[i])
			}
		}
		if m, ok := withMoney[sid]; ok {
			checked++
			if math.Abs(s.Monetary-m[3]) > tol || s.Frequency != m[0] {
				t.Errorf("sample id %s: x=%v monetary = %.4f, reference x=%v zbar=%.2f", sid, s.Frequency, s.Monetary, m[0], m[3])
			}
		}
	}
	if checked < 2356 {
		t.Errorf("compared monetary values of %d customers, want all 2356 rows of the reference", checked)
	}
}

// summarize is the in-memory summary the tests check SummaryBuilder and
// SummaryFromDays with: one Summary per customer who bought on or before
// calibrationEnd's day, sorted by customer id.
func summarize(orders []customer.Order, calibrationEnd time.Time, unit time.Duration) ([]Summary, error) {
	b, err := NewSummaryBuilder(calibrationEnd, unit)
	if err != nil {
		return nil, err
	}
	for _, o := range orders {
		b.Add(o)
	}
	return b.Rows(), nil
}
