package store

import (
	"fmt"
	"strings"
)

// maxParams bounds the placeholders of one multi-row statement. Both
// drivers' limits are far higher (PostgreSQL 65535, SQLite 32766), but the
// SQLite driver looks each $N up by name in a list, a cost quadratic in the
// placeholders of a statement: 30,000 made writing 100,000 journey_seen rows
// take 30 s, 2,000 keeps it near 1 s with few extra round trips.
const maxParams = 2000

// chunkRows splits n rows of width columns into [start, end) ranges that fit
// maxParams.
func chunkRows(n, width int) [][2]int {
	per := maxParams / width
	var out [][2]int
	for s := 0; s < n; s += per {
		e := s + per
		if e > n {
			e = n
		}
		out = append(out, [2]int{s, e})
	}
	return out
}

// valuesList renders "($1,$2),($3,$4)" for rows x width placeholders.
func valuesList(rows, width int) string {
	var b strings.Builder
	p := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < width; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "$%d", p)
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inList renders "$from,$from+1,..." for n placeholders.
func inList(from, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(parts, ",")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
