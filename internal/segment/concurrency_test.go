package segment

import (
	"sync"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
)

// TestProgramConcurrentUse shares one Program between goroutines on both
// evaluation paths (fast subset and interpreter); run with -race.
func TestProgramConcurrentUse(t *testing.T) {
	fast, err := Compile(typicalCriteria)
	if err != nil {
		t.Fatal(err)
	}
	interp, err := Compile("customer.attributes['plan'] == 'pro' && customer.recencyDays > 90.0")
	if err != nil {
		t.Fatal(err)
	}
	if fast.fast == nil || interp.fast != nil {
		t.Fatal("expected one program on each evaluation path")
	}
	rows := benchRows()
	for i := range rows {
		rows[i].Attributes = map[string]string{"plan": "pro"}
	}
	// Expected counts computed sequentially first.
	wantFast, wantInterp := 0, 0
	for i := range rows {
		if typicalMatch(&rows[i]) {
			wantFast++
		}
		if rows[i].RecencyDays > 90 {
			wantInterp++
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 50; round++ {
				gotFast, gotInterp := 0, 0
				for i := range rows {
					a, err1 := fast.Matches(&rows[i])
					b, err2 := interp.Matches(&rows[i])
					if err1 != nil || err2 != nil {
						t.Errorf("Matches errors: %v, %v", err1, err2)
						return
					}
					if a {
						gotFast++
					}
					if b {
						gotInterp++
					}
				}
				if gotFast != wantFast || gotInterp != wantInterp {
					t.Errorf("round %d: matched %d and %d, want %d and %d", round, gotFast, gotInterp, wantFast, wantInterp)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// typicalMatch is typicalCriteria written in Go.
func typicalMatch(f *customer.Features) bool {
	return f.RecencyDays > 90 && f.Frequency >= 2 && f.Monetary > 100
}
