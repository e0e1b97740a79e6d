package loyalty

import (
	"math"
	"testing"
	"time"

	"github.com/retention-dev/retention-operator/internal/customer"
	"github.com/retention-dev/retention-operator/internal/store"
)

// TestIngestRefusesAbsurdCredits: an order whose points cannot be an int64
// (1e308, -1e308, +Inf, NaN) is counted as refused, changes nothing, and does
// not stop the pass; the next order still applies.
func TestIngestRefusesAbsurdCredits(t *testing.T) {
	// Ingest copies what it reads: every database gets the same orders.
	src := &sliceSource{orders: []customer.Order{
		*orderOf("A", "huge", 1e308, day(-1)),
		*orderOf("A", "inf", math.Inf(1), day(-1)),
		*orderOf("A", "nan", math.NaN(), day(-1)),
		*orderOf("A", "minus-huge", -1e308, day(-1)),
		*orderOf("A", "fine", 30, day(-1).Add(time.Minute)),
	}}
	eachDB(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, redemptionConfig(), day(0))
		st, err := IngestOnce(t.Context(), ts.points, src, time.Hour, day(0))
		if err != nil {
			t.Fatal(err)
		}
		if st.Refused != 4 || st.Applied != 1 {
			t.Fatalf("ingest stats %+v, want 4 refused and 1 applied", st)
		}
		wantAvailable(t, ts, "A", 30)
		wantHistorySumsToBalance(t, ts, "A")
	})
}
