package datasource

import (
	"context"
	"fmt"
	"maps"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

const ordersHeader = "customer_id,order_id,amount,occurred_at\n"

// scanFeatures runs ScanFeatures over a CSV directory and returns the rows
// (copied) and the error.
func scanFeatures(t *testing.T, dir string) (map[string]customer.Features, error) {
	t.Helper()
	c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir})
	rows := map[string]customer.Features{}
	err := c.ScanFeatures(context.Background(), FeatureQuery{AsOf: fixtureAsOf}, func(f *customer.Features) error {
		rows[f.ID] = *f
		return nil
	})
	return rows, err
}

// TestBadAmountsAreRefusedWithTheLine: every value strconv would turn into
// NaN, Inf or a wrong figure fails the scan naming file and line, and no
// figure of an accepted file is NaN or infinite.
func TestBadAmountsAreRefusedWithTheLine(t *testing.T) {
	for _, amt := range []string{"NaN", "nan", "+Inf", "-Inf", "Infinity", "1e308", "1e400", "0x1p10", "0x10", "1_000", "1,5", "", ".", "1e", "2000000000"} {
		t.Run(amt, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "orders.csv", ordersHeader+"c1,o1,10,2024-01-02\nc1,o2,\""+amt+"\",2024-01-03\n")
			_, err := scanFeatures(t, dir)
			if err == nil || !strings.Contains(err.Error(), "orders.csv line 3: amount") {
				t.Fatalf("amount %q: error = %v, want orders.csv line 3 to be refused", amt, err)
			}
		})
	}
	dir := t.TempDir()
	writeFile(t, dir, "orders.csv", ordersHeader+"c1,o1,10,2024-01-02\nc1,o2,$1.5e2,2024-01-03\nc1,o3,+0.25,2024-01-04\n")
	rows, err := scanFeatures(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	f := rows["c1"]
	if f.Monetary != 160.25 || f.Frequency != 3 || math.IsNaN(f.AverageOrderValue) || math.IsInf(f.AverageOrderValue, 0) {
		t.Errorf("features %+v, want monetary 160.25 over 3 orders", f)
	}
}

// TestPlaceholderYearsAreRefused: 0001 and 9999 are placeholders, not dates.
func TestPlaceholderYearsAreRefused(t *testing.T) {
	for _, ts := range []string{"0001-01-01", "9999-12-31", "1899-12-31T00:00:00Z", "22010101"} {
		dir := t.TempDir()
		writeFile(t, dir, "orders.csv", ordersHeader+"c1,o1,10,2024-01-02\nc1,o2,5,"+ts+"\n")
		_, err := scanFeatures(t, dir)
		if err == nil || !strings.Contains(err.Error(), "orders.csv line 3: timestamp") || !strings.Contains(err.Error(), "is outside 1900-2200") {
			t.Errorf("timestamp %s: error = %v, want line 3 refused for its year", ts, err)
		}
	}
}

// TestInvalidUTF8IsRefusedWithTheLine in each format.
func TestInvalidUTF8IsRefusedWithTheLine(t *testing.T) {
	bad := "c\xff\xfe1"
	tests := []struct {
		format     sourceconfig.Format
		file, body string
		want       string
	}{
		{sourceconfig.FormatCSV, "orders.csv", ordersHeader + "c1,o1,10,2024-01-02\n" + bad + ",o2,5,2024-01-03\n",
			`orders.csv line 3: column "customer_id" is not valid UTF-8`},
		{sourceconfig.FormatNDJSON, "orders.ndjson", `{"customer_id":"c1","order_id":"o1","amount":3,"occurred_at":"2024-01-02"}` + "\n" +
			`{"customer_id":"` + bad + `","order_id":"o2","amount":3,"occurred_at":"2024-01-02"}` + "\n",
			"orders.ndjson line 2: not valid UTF-8"},
		{sourceconfig.FormatTransactions, "log.txt", "c1 20240101 5\n" + bad + " 20240102 5\n",
			"log.txt line 2: column columns.customerId is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, tt.file, tt.body)
			if tt.format != sourceconfig.FormatTransactions {
				path = dir
			}
			c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: tt.format, Path: path})
			_, err := countOrders(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestOversizedLinesFailWithTheLineWithinAMemoryBound: a 16 MB NDJSON line,
// a 24 MB CSV field on one line and a 10 MB quoted CSV field spread over many
// short lines each fail naming file and line, without buffering the field.
func TestOversizedLinesFailWithTheLineWithinAMemoryBound(t *testing.T) {
	big := strings.Repeat("x", 16<<20)
	tests := []struct {
		name, file, body, want string
		format                 sourceconfig.Format
	}{
		{"ndjson line", "orders.ndjson",
			`{"customer_id":"c1","order_id":"o1","amount":3,"occurred_at":"2024-01-02"}` + "\n\n" + `{"customer_id":"` + big + `"}` + "\n",
			"orders.ndjson line 3: line is longer than 4 MiB", sourceconfig.FormatNDJSON},
		{"csv field on one line", "orders.csv",
			ordersHeader + "c1,o1,10,2024-01-02\nc1,\"" + big + big[:8<<20] + "\",5,2024-01-03\n",
			"orders.csv line 3: line starting on line 3 is longer than 4 MiB", sourceconfig.FormatCSV},
		{"csv field over many lines", "orders.csv",
			ordersHeader + "c1,o1,10,2024-01-02\nc1,\"" + strings.Repeat(strings.Repeat("y", 1023)+"\n", 10<<10) + "\",5,2024-01-03\n",
			"orders.csv line 3: record starting on line 3 is longer than 8 MiB", sourceconfig.FormatCSV},
		{"transaction log line", "log.txt", "c1 20240101 5\n" + big + " 20240102 5\n",
			"log.txt line 2: line is longer than 4 MiB", sourceconfig.FormatTransactions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, tt.file, tt.body)
			if tt.format != sourceconfig.FormatTransactions {
				path = dir
			}
			c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: tt.format, Path: path})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := countOrders(c)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 48<<20 {
				t.Errorf("the scan allocated %d MiB before failing, want under 48", alloc>>20)
			}
		})
	}
}

// TestRepeatedRowsAreCountedNotFolded: a repeated order row, a repeated
// customer id and orders of unknown customers are left out of the figures
// and counted by kind in DataIssues; customers created after AsOf are not
// orphans' owners.
func TestRepeatedRowsAreCountedNotFolded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "customers.csv", "id,email,created_at\n"+
		"c1,a@example.com,2023-01-01\nc2,b@example.com,2023-01-01\nc1,dup@example.com,2023-06-01\n"+
		"late,l@example.com,"+fixtureAsOf.AddDate(0, 0, 10).Format("2006-01-02")+"\n")
	writeFile(t, dir, "orders.csv", ordersHeader+
		"c1,o1,10,2024-01-02\nc1,o1,10,2024-01-02\nc1,o2,30,2024-01-03\n"+ // o1 repeated
		"c2,o1,7,2024-01-02\n"+ // same order id, other customer: a different order
		"ghost,o9,99,2024-01-02\nghost,o10,1,2024-01-03\n"+ // orphans
		"late,o11,5,2024-01-03\n") // a customer from after AsOf
	c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatCSV, Path: dir})
	rows := map[string]customer.Features{}
	if err := c.ScanFeatures(context.Background(), FeatureQuery{AsOf: fixtureAsOf}, func(f *customer.Features) error {
		rows[f.ID] = *f
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if f := rows["c1"]; f.Frequency != 2 || f.Monetary != 40 || f.AverageOrderValue != 20 || f.Email != "a@example.com" {
		t.Errorf("c1 = freq %d monetary %v aov %v email %q; want the repeat left out and the first row kept",
			f.Frequency, f.Monetary, f.AverageOrderValue, f.Email)
	}
	if f := rows["c2"]; f.Frequency != 1 || f.Monetary != 7 {
		t.Errorf("c2 = freq %d monetary %v, want its own o1 counted", f.Frequency, f.Monetary)
	}
	if len(rows) != 2 {
		t.Errorf("rows %v, want c1 and c2 only", slicesKeys(rows))
	}
	want := map[string]int64{IssueDuplicateOrder: 1, IssueDuplicateCustomer: 1, IssueOrphanOrder: 2}
	got := c.(IssueReporter).DataIssues()
	if !maps.Equal(got, want) {
		t.Errorf("DataIssues = %v, want %v", got, want)
	}
	// The counts are the last scan's, not a running total.
	if err := c.ScanFeatures(context.Background(), FeatureQuery{AsOf: fixtureAsOf}, func(*customer.Features) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := c.(IssueReporter).DataIssues(); !maps.Equal(got, want) {
		t.Errorf("second scan DataIssues = %v, want %v again", got, want)
	}
	// ScanCustomers keeps the first row of a repeated id too.
	var firsts []string
	if err := c.ScanCustomers(context.Background(), func(cu *customer.Customer) error {
		if cu.ID == "c1" {
			firsts = append(firsts, cu.Email)
		}
		return nil
	}); err != nil || len(firsts) != 1 || firsts[0] != "a@example.com" {
		t.Errorf("ScanCustomers gave c1 as %v (err %v), want its first row once", firsts, err)
	}
	// Every scan skips the repeat, so order-based figures agree.
	var orders int
	if err := c.ScanOrders(context.Background(), time.Time{}, func(o *customer.Order) error {
		if o.CustomerID == "c1" {
			orders++
		}
		return nil
	}); err != nil || orders != 2 {
		t.Errorf("ScanOrders gave c1 %d orders (err %v), want 2", orders, err)
	}
}

func slicesKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestCustomerValuesStayOutOfErrors: a consent column holding an email (the
// reported leak), a phone in created_at and a long order id never reach the
// error; the file, line and column do.
func TestCustomerValuesStayOutOfErrors(t *testing.T) {
	const email = "bob.jones@example.com"
	tests := []struct {
		customers, orders, want, planted string
	}{
		{"id,email,consent_email\nc1,x@example.com,true\nc2,other@example.com," + email + "\n", "",
			"customers.csv line 3: consent_email: not a boolean", email},
		{"id,created_at\nc1,+44 20 7946 0958\n", "", "customers.csv line 2: created_at: timestamp (a 16-byte value, not shown)", "7946"},
		{"id\nc1\n", ordersHeader + "c1,o1," + email + ",2024-01-02\n", "orders.csv line 2: amount (a 21-byte value, not shown)", email},
		{"id\nc1\n", ordersHeader + "c1,o1,5,+1 555 010 9999\n", "orders.csv line 2: timestamp (a 15-byte value, not shown)", "555 010"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "customers.csv", tt.customers)
			if tt.orders != "" {
				writeFile(t, dir, "orders.csv", tt.orders)
			} else {
				writeFile(t, dir, "orders.csv", ordersHeader)
			}
			_, err := scanFeatures(t, dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), tt.planted) {
				t.Errorf("error = %v\nwant it to contain %q and not %q", err, tt.want, tt.planted)
			}
		})
	}
}

// A header line that is really data (a misconfigured mapping) is listed
// without the values that look like customer data.
func TestHeaderListingWithholdsCustomerData(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "orders.csv", "bob.jones@example.com,o1,amount,when\n")
	_, err := scanFeatures(t, dir)
	if err == nil || strings.Contains(err.Error(), "bob.jones") || !strings.Contains(err.Error(), "the header has (a 21-byte value, not shown),o1,amount,when") {
		t.Errorf("error = %v", err)
	}
}
