package metrics

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/clv"
	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestComputePredictedCLVFitsOnOrdersBeforeWindowEnd checks the plumbing of
// the fitted path on the CDNOW sample: a window ending 1997-10-01 must
// calibrate on orders through 1997-09-30 in weeks (reproducing the published
// BG/NBD log-likelihood), and predictedCLV must be the mean 12-month, 1%
// CLV over the customers.
func TestComputePredictedCLVFitsOnOrdersBeforeWindowEnd(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "clv", "testdata", "CDNOW_sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := clv.NewTransactionReader(f, clv.FormatCDNOW)
	if err != nil {
		t.Fatal(err)
	}
	var orders []customer.Order
	if err := tr.ForEach(func(o customer.Order) error { orders = append(orders, o); return nil }); err != nil {
		t.Fatal(err)
	}
	start, end := time.Date(1997, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)
	r, err := Compute(Input{WindowStart: start, WindowEnd: end, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Has(MetricPredictedCLV) {
		t.Fatalf("predictedCLV unavailable: %s", r.Unavailable[MetricPredictedCLV])
	}
	model, rows, err := fitOrders(orders, time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC), 12, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(model.BGNBDStats.LogLikelihood-(-9582.43)) > 0.01 || len(rows) != 2357 {
		t.Fatalf("reference fit LL %.3f over %d customers, want -9582.43 over 2357", model.BGNBDStats.LogLikelihood, len(rows))
	}
	var sum float64
	for _, s := range rows {
		p, err := model.Predict(s)
		if err != nil {
			t.Fatal(err)
		}
		sum += p.CLV
	}
	want := sum / float64(len(rows))
	t.Logf("mean 12-month CLV over the CDNOW sample: %.4f", r.PredictedCLV)
	if math.Abs(r.PredictedCLV-want) > 1e-9*want || want <= 0 {
		t.Errorf("predictedCLV = %.6f, want %.6f", r.PredictedCLV, want)
	}
}
