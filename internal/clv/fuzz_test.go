package clv

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzReadTransactions checks that arbitrary input never panics, that every
// accepted order is well-formed, and that Summarize accepts whatever the
// reader accepts.
func FuzzReadTransactions(f *testing.F) {
	f.Add("cdnow", " customer_id date number_of_cds dollar_value\n 00001 19970101 1 11.77\n")
	f.Add("cdnow", " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n")
	f.Add("csv", "customer_id,date,amount\nc1,2024-01-01,5\nc1,2024-01-02T10:00:00+02:00,3.5\n")
	f.Add("csv", "amount,date,customer_id\n-1,2024-01-01,x\n")
	f.Add("csv", "customer_id,date,amount\nc1,2024-13-01,1e309\n")
	f.Add("csv", "\ufeff\"customer_id\",date,amount\n\"a,\"\"b\",2024-01-01,\"2\"\n")
	f.Fuzz(func(t *testing.T, format, input string) {
		orders, err := readTransactions(strings.NewReader(input), format)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.HasPrefix(err.Error(), "unknown transaction format") {
				t.Fatalf("error %q does not name the line", err)
			}
			return
		}
		for i, o := range orders {
			if o.CustomerID == "" || o.Amount < 0 || math.IsNaN(o.Amount) || math.IsInf(o.Amount, 0) || o.OccurredAt.IsZero() {
				t.Fatalf("order %d is malformed: %+v", i, o)
			}
		}
		end := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := summarize(orders, end, 24*time.Hour); err != nil {
			t.Fatalf("Summarize rejected reader output: %v", err)
		}
	})
}
