package render

import (
	"fmt"
	"math"

	"github.com/retention-dev/retention-operator/internal/report"
)

// cohortFixture is an n-cohort triangular matrix: cohort i (month i of
// 2024-25) has n-i observed months; month 0 is 100% and later months decay
// as 40·0.9^(k-1) minus i/2, rounded to one decimal, so values are known.
func cohortFixture(n int) *report.Cohorts {
	c := &report.Cohorts{}
	for i := 0; i < n; i++ {
		c.Labels = append(c.Labels, fmt.Sprintf("%d-%02d", 2024+i/12, i%12+1))
		c.Sizes = append(c.Sizes, int64(1000+37*i))
		row := []float64{100}
		for k := 1; k < n-i; k++ {
			v := 40*math.Pow(0.9, float64(k-1)) - float64(i)/2
			row = append(row, math.Round(math.Max(v, 0)*10)/10)
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}
