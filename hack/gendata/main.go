// Command gendata writes a deterministic synthetic shop (customers, orders,
// feedback, events) into PostgreSQL, SQLite or CSV files in the default
// datasource table shapes, for tests, benchmarks and local dev mode.
//
//	go run ./hack/gendata --customers 1000000 --orders 10000000 --seed 1 --postgres postgres://...
//	go run ./hack/gendata --customers 1000 --orders 10000 --sqlite /tmp/shop.db
//	go run ./hack/gendata --customers 1000 --orders 10000 --csv /tmp/shop
//	go run ./hack/gendata --print-features-sql   # the features query the benchmark times
//
// The same flags always produce the same rows. Existing tables (or files) are
// replaced.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/retention-dev/retention-operator/internal/datasource"
	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

func main() {
	var (
		customers = flag.Int("customers", 1000, "number of customers")
		orders    = flag.Int("orders", 10000, "target number of orders (the expected total; the exact count depends on the seed)")
		seed      = flag.Uint64("seed", 1, "random seed")
		end       = flag.String("end", EndDefault.Format(time.RFC3339), "history ends here (the benchmark's AsOf)")
		years     = flag.Float64("years", 3, "years of history before --end")
		pgDSN     = flag.String("postgres", "", "PostgreSQL URL to load into (tables replaced, loaded with COPY)")
		sqlite    = flag.String("sqlite", "", "SQLite file to load into (tables replaced)")
		csvDir    = flag.String("csv", "", "directory to write customers.csv, orders.csv, feedback.csv into")
		printSQL  = flag.Bool("print-features-sql", false, "print the PostgreSQL features query as of --end with --window-days and exit")
		window    = flag.Int("window-days", 90, "window for --print-features-sql")
	)
	flag.Parse()
	endAt, err := time.Parse(time.RFC3339, *end)
	if err != nil {
		log.Fatalf("--end %q: %v", *end, err)
	}
	if *printSQL {
		fmt.Println(datasource.FeaturesSQL(store.Postgres, sourceconfig.Queries{},
			datasource.FeatureQuery{AsOf: endAt, Window: time.Duration(*window) * 24 * time.Hour}))
		return
	}
	g := newGenerator(*seed, *customers, *orders, endAt, *years)
	ctx := context.Background()
	start := time.Now()
	var n counts
	switch {
	case *pgDSN != "":
		n, err = loadPostgres(ctx, *pgDSN, g)
	case *sqlite != "":
		n, err = loadSQLite(ctx, *sqlite, g)
	case *csvDir != "":
		n, err = writeCSV(*csvDir, g)
	default:
		fmt.Fprintln(os.Stderr, "gendata: give one of --postgres DSN, --sqlite PATH, --csv DIR (or --print-features-sql)")
		os.Exit(2)
	}
	if err != nil {
		log.Fatalf("gendata: %v", err)
	}
	log.Printf("gendata: %d customers, %d orders, %d feedback rows, %d events in %s",
		n.customers, n.orders, n.feedback, n.events, time.Since(start).Round(time.Millisecond))
}

// counts are the rows written per table.
type counts struct{ customers, orders, feedback, events int64 }
