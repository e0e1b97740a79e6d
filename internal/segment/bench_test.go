package segment

import (
	"testing"

	"cel.dev/cel-go/cel"

	"github.com/retention-dev/retention-operator/internal/customer"
)

const typicalCriteria = "customer.recencyDays > 90.0 && customer.frequency >= 2 && customer.monetary > 100.0"

// benchRows is a small rotating set of rows so the branch predictor and the
// result are not constant; about half of them match.
func benchRows() []customer.Features {
	rows := make([]customer.Features, 64)
	for i := range rows {
		rows[i] = customer.Features{
			RecencyDays: float64(30 + (i*37)%150),
			Frequency:   int64(i % 5),
			Monetary:    float64(20 + (i*53)%300),
		}
	}
	return rows
}

// benchMatch times match over the rotating benchRows, reporting customers/s;
// it fails if match errs or, given a full rotation, matches no row.
func benchMatch(b *testing.B, match func(*customer.Features) (bool, error)) {
	b.Helper()
	rows := benchRows()
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ok, err := match(&rows[i&63])
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			matched++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
	if b.N >= 64 && matched == 0 {
		b.Fatal("no row matched")
	}
}

// BenchmarkMatchesTypical measures Program.Matches end to end: presenting the
// row to CEL plus evaluation.
func BenchmarkMatchesTypical(b *testing.B) {
	p, err := Compile(typicalCriteria)
	if err != nil {
		b.Fatal(err)
	}
	benchMatch(b, p.Matches)
}

// BenchmarkMatchesTypicalInterpreter forces the cel-go interpreter (typed
// qualified variables + switch activation) for the same criteria, i.e. the
// path every criteria outside the fast subset takes.
func BenchmarkMatchesTypicalInterpreter(b *testing.B) {
	p, err := Compile(typicalCriteria)
	if err != nil {
		b.Fatal(err)
	}
	benchMatch(b, func(f *customer.Features) (bool, error) { return p.evalCEL(f, nil) })
}

// BenchmarkMatchesMapBaseline is plain cel-go: a `customer` map variable and a
// map activation built per customer.
func BenchmarkMatchesMapBaseline(b *testing.B) {
	env, err := cel.NewEnv(cel.Variable("customer", cel.MapType(cel.StringType, cel.DynType)))
	if err != nil {
		b.Fatal(err)
	}
	ast, iss := env.Compile(typicalCriteria)
	if iss.Err() != nil {
		b.Fatal(iss.Err())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		b.Fatal(err)
	}
	benchMatch(b, func(f *customer.Features) (bool, error) {
		out, _, err := prg.Eval(map[string]any{"customer": map[string]any{
			"recencyDays": f.RecencyDays, "frequency": f.Frequency, "monetary": f.Monetary,
		}})
		return err == nil && out.Value() == true, err
	})
}
