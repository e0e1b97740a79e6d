package datasource

import (
	"fmt"

	"github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"
	store "github.com/retention-dev/retention-operator/internal/store/sqldb"
)

// Partition (sourceconfig.Partition) is one hash shard of the customers;
// PartitionOf is its function for SQLite and files.
type Partition = sourceconfig.Partition

// MaxPartitions bounds a Partition's Count.
const MaxPartitions = sourceconfig.MaxPartitions

// PartitionOf is the shard of id among n (sourceconfig.PartitionOf).
func PartitionOf(id string, n int) int { return sourceconfig.PartitionOf(id, n) }

// predicate is the SQL condition that column col (a customer id) is in p.
func partitionPredicate(p Partition, d store.Dialect, col string) string {
	if d == store.SQLite {
		return fmt.Sprintf("%s(%s, %d) = %d", sqlitePartitionFunc, col, p.Count, p.Index)
	}
	return fmt.Sprintf("mod(hashtext(%s::text)::int8 & 2147483647, %d) = %d", col, p.Count, p.Index)
}

// restrict wraps a table (or an override query) so that it returns only the
// rows whose key column is in p.
func partitionRestrict(p Partition, d store.Dialect, override, table, key string) string {
	return "SELECT * FROM " + source(override, table) + " part WHERE " + partitionPredicate(p, d, "part."+key)
}

// Partitioned returns cfg restricted to p. For databases the table reads are
// replaced by partitioned sub-selects (Queries), so every query of the
// connector, and any caller that reads cfg.Queries (the metric job's customer
// count), pushes the partition down; file sources keep p and filter rows in
// Go as they stream them.
func Partitioned(cfg sourceconfig.Config, p Partition) (sourceconfig.Config, error) {
	if err := p.Check(); err != nil {
		return cfg, err
	}
	if p.All() {
		return cfg, nil
	}
	cfg.Partition = p
	var d store.Dialect
	switch cfg.Kind {
	case sourceconfig.KindPostgres:
		d = store.Postgres
	case sourceconfig.KindSQLite:
		d = store.SQLite
	default:
		return cfg, nil
	}
	q := cfg.Queries
	cfg.Queries = sourceconfig.Queries{
		Customers: partitionRestrict(p, d, q.Customers, "customers", "id"),
		Orders:    partitionRestrict(p, d, q.Orders, "orders", "customer_id"),
		Events:    partitionRestrict(p, d, q.Events, "events", "customer_id"),
		Feedback:  partitionRestrict(p, d, q.Feedback, "feedback", "customer_id"),
	}
	return cfg, nil
}
