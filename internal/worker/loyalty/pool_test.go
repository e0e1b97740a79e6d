package loyalty

import (
	"context"
	"sync"
	"testing"

	"github.com/retention-dev/retention-operator/internal/store"
	"github.com/retention-dev/retention-operator/internal/testdb"
)

// TestDefaultPoolKeepsItsConnections: with the shipped defaults a burst of
// concurrent requests opens at most the pool's connections and, once they
// go idle, none is closed (database/sql's default of 2 idle connections
// closed 14 of 16 after every burst, so the next burst reconnected).
func TestDefaultPoolKeepsItsConnections(t *testing.T) {
	db := testdb.Open(t, testdb.Postgres(t), store.Open)
	o := Options{Program: redemptionConfig(), DB: db}
	if _, closeDB, err := o.open(context.Background()); err != nil {
		t.Fatal(err)
	} else {
		defer closeDB()
	}
	if o.Pool.MaxOpen != DefaultPoolSize || o.Pool.MaxIdle != DefaultPoolSize {
		t.Fatalf("default pool %+v, want open = idle = %d", o.Pool, DefaultPoolSize)
	}
	for burst := range 3 {
		var wg sync.WaitGroup
		for range 4 * DefaultPoolSize {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.Exec(context.Background(), `SELECT pg_sleep(0.02)`); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		st := db.Stats()
		if st.OpenConnections > DefaultPoolSize || st.MaxIdleClosed != 0 {
			t.Fatalf("after burst %d: %d open, %d closed for want of idle room; want at most %d open and none closed",
				burst, st.OpenConnections, st.MaxIdleClosed, DefaultPoolSize)
		}
	}
}
