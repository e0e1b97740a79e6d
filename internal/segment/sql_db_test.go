package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/retention-dev/retention-operator/internal/customer"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// The agreement tests run translated WHERE clauses in a real database over
// generated rows and require exactly the rows Go evaluation selects.

func TestToSQLAgreesWithEvaluationSQLite(t *testing.T) {
	checkSQLAgreement(t, testdb.Open(t, testdb.SQLite(t), store.Open), SQLite)
}

func TestToSQLAgreesWithEvaluationPostgres(t *testing.T) {
	checkSQLAgreement(t, testdb.Open(t, testdb.Postgres(t), store.Open), Postgres)
}

// featureColumns are the scalar feature columns, in the order rowValues lists them.
var featureColumns = []struct{ name, sqlite, postgres string }{
	{"id", "TEXT", "text"},
	{"email", "TEXT", "text"},
	{"timeZone", "TEXT", "text"},
	{"recencyDays", "REAL", "double precision"},
	{"frequency", "INTEGER", "bigint"},
	{"monetary", "REAL", "double precision"},
	{"averageOrderValue", "REAL", "double precision"},
	{"tenureDays", "REAL", "double precision"},
	{"windowOrders", "INTEGER", "bigint"},
	{"windowSpend", "REAL", "double precision"},
	{"nps", "INTEGER", "bigint"},
	{"loyaltyTier", "TEXT", "text"},
	{"loyaltyPoints", "INTEGER", "bigint"},
	{"churnProbability", "REAL", "double precision"},
	{"predictedCLV", "REAL", "double precision"},
	{"consentEmail", "INTEGER", "boolean"},
	{"consentSMS", "INTEGER", "boolean"},
}

func rowValues(f *customer.Features, dialect Dialect) []any {
	boolean := func(b bool) any {
		if dialect == SQLite {
			if b {
				return int64(1)
			}
			return int64(0)
		}
		return b
	}
	return []any{f.ID, f.Email, f.TimeZone, f.RecencyDays, f.Frequency, f.Monetary, f.AverageOrderValue,
		f.TenureDays, f.WindowOrders, f.WindowSpend, f.NPS, f.LoyaltyTier, f.LoyaltyPoints,
		f.ChurnProbability, f.PredictedCLV, boolean(f.ConsentEmail), boolean(f.ConsentSMS)}
}

// Value pools shared by rows and literals, so equality and boundary cases
// (x > 90.0 with x == 90.0) actually occur.
var (
	poolDoubles = []float64{0, 0.5, 1, 2.25, 30, 89.999, 90, 90.0001, 100, 365.5, 1000, 12345.678}
	poolInts    = []int64{-1, 0, 1, 2, 3, 5, 10, 100, 1500}
	poolStrings = []string{"", "bronze", "gold", "Gold", "silver", "platinum", "é", "a b", "Z"}
)

func generatedRows(r *rand.Rand, n int) []customer.Features {
	pickD := func() float64 { return poolDoubles[r.IntN(len(poolDoubles))] }
	pickI := func() int64 { return poolInts[r.IntN(len(poolInts))] }
	pickS := func() string { return poolStrings[r.IntN(len(poolStrings))] }
	rows := make([]customer.Features, n)
	for i := range rows {
		rows[i] = customer.Features{
			ID: fmt.Sprintf("c-%03d", i), Email: pickS(), TimeZone: pickS(),
			RecencyDays: pickD(), Frequency: pickI(), Monetary: pickD(), AverageOrderValue: pickD(),
			TenureDays: pickD(), WindowOrders: pickI(), WindowSpend: pickD(), NPS: pickI(),
			LoyaltyTier: pickS(), LoyaltyPoints: pickI(), ChurnProbability: pickD(), PredictedCLV: pickD(),
			ConsentEmail: r.IntN(2) == 0, ConsentSMS: r.IntN(2) == 0,
		}
	}
	return rows
}

// exprGenerator writes random criteria inside the subset ToSQL translates.
type exprGenerator struct{ r *rand.Rand }

var genFields = map[string][]string{
	"double": {"recencyDays", "monetary", "averageOrderValue", "tenureDays", "windowSpend", "churnProbability", "predictedCLV"},
	"int":    {"frequency", "windowOrders", "nps", "loyaltyPoints"},
	"string": {"id", "email", "timeZone", "loyaltyTier"},
	"bool":   {"consentEmail", "consentSMS"},
}

var genOps = []string{"==", "!=", "<", "<=", ">", ">="}

func (g exprGenerator) literal(typ string) string {
	switch typ {
	case "double":
		s := strconv.FormatFloat(poolDoubles[g.r.IntN(len(poolDoubles))], 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case "int":
		return strconv.FormatInt(poolInts[g.r.IntN(len(poolInts))], 10)
	case "string":
		return strconv.Quote(poolStrings[g.r.IntN(len(poolStrings))])
	default:
		return strconv.FormatBool(g.r.IntN(2) == 0)
	}
}

func (g exprGenerator) field(typ string) string {
	fs := genFields[typ]
	return "customer." + fs[g.r.IntN(len(fs))]
}

func (g exprGenerator) leaf() string {
	types := []string{"double", "int", "string", "bool"}
	typ := types[g.r.IntN(len(types))]
	switch g.r.IntN(6) {
	case 0:
		return g.field(typ) + " " + genOps[g.r.IntN(len(genOps))] + " " + g.field(typ)
	case 1:
		items := make([]string, g.r.IntN(4))
		for i := range items {
			items[i] = g.literal(typ)
		}
		return g.field(typ) + " in [" + strings.Join(items, ", ") + "]"
	case 2:
		if g.r.IntN(3) == 0 {
			return g.literal("bool")
		}
		return g.field("bool")
	case 3:
		return g.literal(typ) + " " + genOps[g.r.IntN(len(genOps))] + " " + g.field(typ)
	default:
		return g.field(typ) + " " + genOps[g.r.IntN(len(genOps))] + " " + g.literal(typ)
	}
}

func (g exprGenerator) expr(depth int) string {
	if depth == 0 || g.r.IntN(3) == 0 {
		return g.leaf()
	}
	switch g.r.IntN(3) {
	case 0:
		return "(" + g.expr(depth-1) + " && " + g.expr(depth-1) + ")"
	case 1:
		return "(" + g.expr(depth-1) + " || " + g.expr(depth-1) + ")"
	default:
		return "!(" + g.expr(depth-1) + ")"
	}
}

func checkSQLAgreement(t *testing.T, db *store.DB, dialect Dialect) {
	ctx := context.Background()
	var names []string
	for _, c := range featureColumns {
		names = append(names, c.name)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != strings.Join(PushdownColumns(), ",") {
		t.Fatalf("test table columns %v differ from PushdownColumns() %v", names, PushdownColumns())
	}
	r := rand.New(rand.NewPCG(7, 11))
	rows := generatedRows(r, 300)

	// Give Postgres text columns a linguistic collation when the server has
	// ICU, so the test proves ToSQL's COLLATE "C" (CEL compares bytes: "Z" < "a").
	textCollation := ""
	if dialect == Postgres {
		var icu int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'`).Scan(&icu); err != nil {
			t.Fatal(err)
		}
		if icu > 0 {
			textCollation = ` COLLATE "und-x-icu"`
		}
	}
	var cols, marks []string
	for i, c := range featureColumns {
		typ := c.postgres
		if dialect == SQLite {
			typ = c.sqlite
			if typ == "TEXT" {
				typ += " COLLATE NOCASE" // proves ToSQL's COLLATE BINARY ("Gold" != "gold" in CEL)
			}
		} else if typ == "text" {
			typ += textCollation
		}
		cols = append(cols, fmt.Sprintf("%q %s NOT NULL", c.name, typ))
		marks = append(marks, fmt.Sprintf("$%d", i+1))
	}
	if _, err := db.Exec(ctx, "CREATE TABLE features ("+strings.Join(cols, ", ")+")"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	var quoted []string
	for _, c := range featureColumns {
		quoted = append(quoted, strconv.Quote(c.name))
	}
	insert := "INSERT INTO features (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	for i := range rows {
		if _, err := db.Exec(ctx, insert, rowValues(&rows[i], dialect)...); err != nil {
			t.Fatalf("insert row %d: %v", i, err)
		}
	}

	gen := exprGenerator{r: r}
	const expressions = 400
	nonTrivial := 0
	for n := 0; n < expressions; n++ {
		expr := gen.expr(3)
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		where, args, ok := ToSQL(p, dialect)
		if !ok {
			t.Fatalf("ToSQL(%q) not ok; the generator only writes translatable criteria", expr)
		}
		var want []string
		for i := range rows {
			m, err := p.Matches(&rows[i])
			if err != nil {
				t.Fatalf("Matches(%q, row %s): %v", expr, rows[i].ID, err)
			}
			if m {
				want = append(want, rows[i].ID)
			}
		}
		got := queryIDs(t, db, "SELECT \"id\" FROM (SELECT * FROM features) f WHERE "+where, args)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("criteria %q\nwhere %s args %v\nSQL rows (%d): %v\nGo rows  (%d): %v", expr, where, args, len(got), got, len(want), want)
		}
		if len(want) > 0 && len(want) < len(rows) {
			nonTrivial++
		}
	}
	// Guard against a generator that only writes always-true/false criteria.
	if nonTrivial < expressions/3 {
		t.Fatalf("only %d of %d criteria selected a proper subset of rows; the test would prove little", nonTrivial, expressions)
	}
}

func queryIDs(t *testing.T, db *store.DB, query string, args []any) []string {
	t.Helper()
	rs, err := db.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("query %s %v: %v", query, args, err)
	}
	defer rs.Close()
	var ids []string
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}
