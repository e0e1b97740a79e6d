package datasource

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// fuzzOrders writes body as the orders table of format and scans it twice
// (orders, then features): whatever the input, nothing panics, every error
// names the file, and every accepted order is well-formed, so no figure can
// be NaN or infinite.
func fuzzOrders(t *testing.T, format sourceconfig.Format, body string) {
	dir := t.TempDir()
	file := "orders." + string(format)
	path := dir
	if format == sourceconfig.FormatTransactions {
		file = "log.txt"
		path = filepath.Join(dir, file)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Open(context.Background(), sourceconfig.Config{Kind: sourceconfig.KindFile, Format: format, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.ScanOrders(context.Background(), time.Time{}, func(o *customer.Order) error {
		if o.CustomerID == "" || !utf8.ValidString(o.CustomerID) || !utf8.ValidString(o.OrderID) {
			t.Fatalf("accepted order with a bad id: %+v", o)
		}
		if math.IsNaN(o.Amount) || math.IsInf(o.Amount, 0) || o.Amount < 0 || o.Amount > maxAmount {
			t.Fatalf("accepted amount %v", o.Amount)
		}
		if y := o.OccurredAt.Year(); y < minYear || y > maxYear {
			t.Fatalf("accepted year %d", y)
		}
		return nil
	})
	checkFuzzErr(t, file, err)
	err = c.ScanFeatures(context.Background(), FeatureQuery{AsOf: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Window: 24 * time.Hour},
		func(f *customer.Features) error {
			for _, v := range []float64{f.Monetary, f.AverageOrderValue, f.WindowSpend, f.RecencyDays, f.TenureDays} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("feature row with a non-finite figure: %+v", f)
				}
			}
			return nil
		})
	checkFuzzErr(t, file, err)
}

func checkFuzzErr(t *testing.T, file string, err error) {
	t.Helper()
	if err != nil && !strings.Contains(err.Error(), "datasource file "+file) {
		t.Fatalf("error does not name the file %s: %v", file, err)
	}
}

func FuzzCSVOrders(f *testing.F) {
	f.Add(ordersHeader + "c1,o1,10,2024-01-02\nc1,o1,10,2024-01-02\n")
	f.Add("\ufeffcustomer_id,amount,occurred_at\n\"a,\"\"b\",$2.5,2024-01-02T10:00:00+02:00\n\n")
	f.Add(ordersHeader + "c1,o2,NaN,0001-01-01\nc\xff,o3,0x1p10,20240101\n")
	f.Add(ordersHeader + "c1,\"o\n2\",1e308,2024-01-02 15:04:05\n")
	f.Fuzz(func(t *testing.T, body string) { fuzzOrders(t, sourceconfig.FormatCSV, body) })
}

func FuzzNDJSONOrders(f *testing.F) {
	f.Add(`{"customer_id":"c1","order_id":"o1","amount":3,"occurred_at":"2024-01-02T00:00:00Z"}` + "\n")
	f.Add(`{"customer_id":"c1","order_id":"o1","amount":"NaN","occurred_at":"9999-12-31"}` + "\n{broken\n")
	f.Add(`{"customer_id":1,"order_id":null,"amount":1e400,"occurred_at":20240102}` + "\n\n")
	f.Add(`{"customer_id":"c\ud800","order_id":"o","amount":"$5","occurred_at":"2024-01-02"}` + "\n")
	f.Fuzz(func(t *testing.T, body string) { fuzzOrders(t, sourceconfig.FormatNDJSON, body) })
}

func FuzzTransactionLog(f *testing.F) {
	f.Add(" customer_id date number_of_cds dollar_value\n 00001 19970101 1 11.77\n")
	f.Add(" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n")
	f.Add("customer_id,date,amount\nc1,2024-01-01,5\nc1,2024-01-02T10:00:00+02:00,3.5\n")
	f.Add("c1 00010101 +Inf\nc2 20240101 0x1p3\n")
	f.Fuzz(func(t *testing.T, body string) { fuzzOrders(t, sourceconfig.FormatTransactions, body) })
}
