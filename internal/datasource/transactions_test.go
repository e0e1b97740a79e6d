package datasource

import (
	"compress/gzip"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
)

// TestCDNOWLayoutInline: the sample's exact layout (headerless, 5 columns,
// leading blanks) and the master's (header, 4 columns, CRLF) need no mapping.
func TestCDNOWLayoutInline(t *testing.T) {
	dir := t.TempDir()
	sample := writeFile(t, dir, "sample.txt", " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00007 0002 19970102  1   12.00\n")
	master := writeFile(t, dir, "master.txt", " customer_id  date number_of_cds  dollar_value\r\n 00004 19970101  2   29.33\r\n 00004 19970118  2   29.73\r\n 00007 19970102  1   12.00\r\n")
	for _, path := range []string{sample, master} {
		got := collectFeatures(t, mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: path}),
			FeatureQuery{AsOf: time.Date(1997, 2, 1, 0, 0, 0, 0, time.UTC)})
		if len(got) != 2 || got[0].ID != "00004" || got[0].Frequency != 2 || math.Abs(got[0].Monetary-59.06) > 1e-9 ||
			got[0].RecencyDays != 14 || got[0].TenureDays != 31 || got[1].ID != "00007" || got[1].Monetary != 12 {
			t.Errorf("%s: %+v", filepath.Base(path), got)
		}
	}
}

// TestCDNOWFilesAsTheyAre reads the CDNOW sample (headerless, 5 columns) and
// master (header, 4 columns, CRLF) logs without any column mapping.
// Customer 00004's four purchases in the sample: 1997-01-01 29.33,
// 1997-01-18 29.73, 1997-08-02 14.96, 1997-12-12 26.48.
func TestCDNOWFilesAsTheyAre(t *testing.T) {
	asOf := time.Date(1998, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		file      string
		customers int
		id        string
	}{
		{cdnowSample, 2357, "00004"},
		{cdnowMaster, 23570, "00004"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := cdnowPath(t, tt.file)
			c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: path})
			var n int
			var c4 customer.Features
			if err := c.ScanFeatures(context.Background(), FeatureQuery{AsOf: asOf, Window: 365 * 24 * time.Hour},
				func(f *customer.Features) error {
					n++
					if f.ID == tt.id {
						c4 = *f
					}
					return nil
				}); err != nil {
				t.Fatal(err)
			}
			if n != tt.customers {
				t.Errorf("%d customers, want %d (distinct ids, checked with awk)", n, tt.customers)
			}
			if tt.file == cdnowSample {
				// 1997-12-12 -> 1998-07-01 is 201 days; 1997-01-01 -> 1998-07-01 is 546.
				// Window (1997-07-01, 1998-07-01]: the Aug and Dec purchases.
				if c4.Frequency != 4 || math.Abs(c4.Monetary-100.50) > 1e-9 || c4.RecencyDays != 201 ||
					c4.TenureDays != 546 || c4.WindowOrders != 2 || math.Abs(c4.WindowSpend-41.44) > 1e-9 ||
					c4.NPS != -1 || !c4.CreatedAt.IsZero() || !c4.FirstOrderAt.Equal(time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("customer 00004 = %+v", c4)
				}
			}
		})
	}
}

// TestTransactionsMapping: a comma-separated log with a header and custom
// names, and a headerless one mapped by position.
func TestTransactionsMapping(t *testing.T) {
	dir := t.TempDir()
	named := writeFile(t, dir, "named.csv", "who,when,paid\nA,01/02/2024,10.00\nB,01/03/2024,5\nA,01/04/2024,2.5\n")
	positional := writeFile(t, dir, "pos.txt", "x A 2024-01-02 10.00\nx B 2024-01-03 5\nx A 2024-01-04 2.5\n")
	for _, cfg := range []sourceconfig.Config{
		{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: named,
			Columns: sourceconfig.ColumnMapping{CustomerID: "who", Timestamp: "when", Amount: "paid", TimestampLayout: "01/02/2006"}},
		{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: positional,
			Columns: sourceconfig.ColumnMapping{CustomerID: "2", Timestamp: "3", Amount: "4"}},
	} {
		got := collectFeatures(t, mustOpen(t, cfg), FeatureQuery{AsOf: time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)})
		if len(got) != 2 || got[0].ID != "A" || got[0].Frequency != 2 || got[0].Monetary != 12.5 ||
			got[0].RecencyDays != 1 || got[0].TenureDays != 3 || got[1].ID != "B" || got[1].Monetary != 5 {
			t.Errorf("%s: %+v", filepath.Base(cfg.Path), got)
		}
	}
	// An unknown name in a headered log lists the header.
	c := mustOpen(t, sourceconfig.Config{Kind: sourceconfig.KindFile, Format: sourceconfig.FormatTransactions, Path: named,
		Columns: sourceconfig.ColumnMapping{CustomerID: "who", Timestamp: "when", Amount: "amt"}})
	err := c.ScanFeatures(context.Background(), FeatureQuery{AsOf: time.Now()}, func(*customer.Features) error { return nil })
	if err == nil || err.Error() != `datasource file named.csv: column "amt" (columns.amount) not found; the header has who,when,paid` {
		t.Errorf("error = %v", err)
	}
}

// The public CDNOW files shipped in internal/clv/testdata: the 1/10 sample
// of the BG/NBD paper as it is, the full panel gzipped.
const (
	cdnowSample = "CDNOW_sample.txt"
	cdnowMaster = "CDNOW_master.txt"
)

// cdnowPath is the path of one CDNOW file; one shipped as name.gz is
// unpacked into the test's temporary directory first (a file source reads a
// path). A missing file fails the test: the data is part of the repository.
func cdnowPath(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "clv", "testdata", name)) // sources refuse ".."
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	gz, err := os.Open(path + ".gz")
	if err != nil {
		t.Fatalf("CDNOW file %s is missing (part of the repository): %v", name, err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatalf("%s.gz: %v", path, err)
	}
	out := filepath.Join(t.TempDir(), name)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, zr); err != nil {
		t.Fatalf("unpack %s.gz: %v", path, err)
	}
	return out
}
