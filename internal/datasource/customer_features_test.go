package datasource

import (
	"strings"
	"testing"
)

// CustomerFeatureQuery returns exactly the rows of the customers asked for,
// with the same values as the full scan, on SQLite and PostgreSQL.
func TestCustomerFeatureQuery(t *testing.T) {
	sources := openFixtureSources(t)
	for _, name := range []string{"sqlite", "postgres"} {
		c, ok := sources[name]
		if !ok {
			continue
		}
		got := collectFeatures(t, c, CustomerFeatureQuery(fixtureAsOf, fixtureWindow, []string{"c5", "c1", "nobody"}))
		var ids []string
		for _, f := range got {
			ids = append(ids, f.ID)
		}
		if strings.Join(ids, ",") != "c1,c5" {
			t.Fatalf("%s: rows for %v, want c1 and c5", name, ids)
		}
		for _, a := range collectFeatures(t, c, FeatureQuery{AsOf: fixtureAsOf, Window: fixtureWindow}) {
			for _, f := range got {
				if a.ID == f.ID {
					if d := diffFeatures(a, f); len(d) > 0 {
						t.Errorf("%s: %s differs from the full scan: %v", name, f.ID, d)
					}
				}
			}
		}
	}
}
