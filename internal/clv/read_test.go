package clv

import (
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
)

func TestReadTransactions(t *testing.T) {
	jan1 := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, format, input string
		want                []customer.Order
	}{
		{
			name:   "cdnow master with header and CRLF",
			format: FormatCDNOW,
			input:  " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  5   77.00\r\n",
			want: []customer.Order{
				{CustomerID: "00001", OrderID: "2", Amount: 11.77, OccurredAt: jan1},
				{CustomerID: "00002", OrderID: "3", Amount: 77, OccurredAt: jan1.AddDate(0, 0, 11)},
			},
		},
		{
			name:   "cdnow sample uses the master id",
			format: FormatCDNOW,
			input:  " 00004 0001 19970101  2   29.33\n\n 00021 0002 19970101  3   0.00\n",
			want: []customer.Order{
				{CustomerID: "00004", OrderID: "1", Amount: 29.33, OccurredAt: jan1},
				{CustomerID: "00021", OrderID: "3", Amount: 0, OccurredAt: jan1},
			},
		},
		{
			name:   "csv with reordered columns, extra column and RFC 3339",
			format: FormatCSV,
			input:  "amount,customer_id,channel,date\n12.5,c1,web,2024-03-01\n3,c2,app,2024-03-02T10:00:00Z\n",
			want: []customer.Order{
				{CustomerID: "c1", OrderID: "2", Amount: 12.5, OccurredAt: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
				{CustomerID: "c2", OrderID: "3", Amount: 3, OccurredAt: time.Date(2024, 3, 2, 10, 0, 0, 0, time.UTC)},
			},
		},
		{
			name:   "csv with byte-order mark and quoted fields",
			format: FormatCSV,
			input:  "\ufeff\"customer_id\",\"date\",\"amount\"\r\n\"Smith, \"\"J\"\"\" , \"2024-03-01\",\"7.25\"\r\n",
			want: []customer.Order{
				{CustomerID: `Smith, "J"`, OrderID: "2", Amount: 7.25, OccurredAt: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
			},
		},
		{name: "empty csv", format: FormatCSV, input: "", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readTransactions(strings.NewReader(tc.input), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d orders %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if got[i].CustomerID != tc.want[i].CustomerID || got[i].OrderID != tc.want[i].OrderID ||
					got[i].Amount != tc.want[i].Amount || !got[i].OccurredAt.Equal(tc.want[i].OccurredAt) {
					t.Errorf("order %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestReadTransactionsErrorsNameLineAndProblem(t *testing.T) {
	cases := []struct {
		name, format, input, want string
	}{
		{"negative amount", FormatCSV, "customer_id,date,amount\nc1,2024-01-01,5\nc1,2024-01-02,-3\n", `line 3: amount "-3" is negative`},
		{"bad csv date", FormatCSV, "customer_id,date,amount\nc1,01/02/2024,5\n", `line 2: date "01/02/2024" is neither YYYY-MM-DD nor RFC 3339`},
		{"missing header column", FormatCSV, "customer_id,when,amount\n", `line 1: header "customer_id,when,amount" lacks column(s) date`},
		{"short csv row", FormatCSV, "customer_id,date,amount\nc1,2024-01-01\n", "line 2: has 2 columns, the header has 3"},
		{"empty id", FormatCSV, "customer_id,date,amount\n,2024-01-01,1\n", "line 2: customer_id is empty"},
		{"NaN amount", FormatCSV, "customer_id,date,amount\nc1,2024-01-01,NaN\n", `line 2: amount "NaN" is not a finite number`},
		{"cdnow bad date", FormatCDNOW, " 00001 1997-01-01 1 11.77\n", `line 1: date "1997-01-01" is not YYYYMMDD`},
		{"cdnow wrong width", FormatCDNOW, " 00001 19970101 1\n", "line 1: has 3 columns, want 4"},
		{"cdnow mixed widths", FormatCDNOW, " 00001 19970101 1 2\n 00001 0001 19970101 1 2\n", "line 2: has 5 columns, want 4 like the first line"},
		{"cdnow bad cds", FormatCDNOW, " 00001 19970101 x 2\n", `line 1: number of CDs "x" is not a non-negative integer`},
		{"unterminated quote", FormatCSV, "customer_id,date,amount\n\"c1,2024-01-01,1\n", "line 2: field 1 has an unterminated quote"},
		{"text after quote", FormatCSV, "customer_id,date,amount\n\"c1\"x,2024-01-01,1\n", "line 2: field 1 has text after its closing quote"},
		{"trailing empty field", FormatCSV, "customer_id,date,amount\nc1,2024-01-01,\n", `line 2: amount "" is not a finite number`},
		{"unknown format", "xml", "", `unknown transaction format "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readTransactions(strings.NewReader(tc.input), tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTransactionReaderStreamsCDNOWMaster(t *testing.T) {
	f, err := gzip.NewReader(openTestdata(t, cdnowMasterGz))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTransactionReader(f, FormatCDNOW)
	if err != nil {
		t.Fatal(err)
	}
	customers := map[string]bool{}
	n := 0
	var first, last time.Time
	for {
		o, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || o.OccurredAt.Before(first) {
			first = o.OccurredAt
		}
		if o.OccurredAt.After(last) {
			last = o.OccurredAt
		}
		customers[o.CustomerID] = true
		n++
	}
	// README: 69,659 transactions of 23,570 customers, 1997-01-01 to 1998-06-30.
	if n != 69659 || len(customers) != 23570 {
		t.Errorf("read %d transactions of %d customers, want 69659 of 23570", n, len(customers))
	}
	if !first.Equal(day("1997-01-01")) || !last.Equal(day("1998-06-30")) {
		t.Errorf("date range %s..%s, want 1997-01-01..1998-06-30", first.Format(time.DateOnly), last.Format(time.DateOnly))
	}
}

// readTransactions reads a whole transaction log into memory: the in-memory
// input of the tests' summarize.
func readTransactions(r io.Reader, format string) ([]customer.Order, error) {
	tr, err := NewTransactionReader(r, format)
	if err != nil {
		return nil, err
	}
	var orders []customer.Order
	err = tr.ForEach(func(o customer.Order) error {
		orders = append(orders, o)
		return nil
	})
	return orders, err
}
