package datasource

import (
	"database/sql/driver"
	"fmt"
	"strconv"

	"modernc.org/sqlite"
)

// sqlitePartitionFunc is PartitionOf as a SQLite function:
// retention_partition(id, n). SQLite has no string hash of its own; the Go
// function is registered with the driver for every connection it opens.
const sqlitePartitionFunc = "retention_partition"

func init() {
	if err := sqlite.RegisterDeterministicScalarFunction(sqlitePartitionFunc, 2, sqlitePartition); err != nil {
		panic(fmt.Sprintf("register %s: %v", sqlitePartitionFunc, err))
	}
}

// sqlitePartition hashes the id as its text, as PostgreSQL's id::text does:
// an INTEGER id 42 and a TEXT id '42' fall in the same shard.
func sqlitePartition(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	n, ok := args[1].(int64)
	if !ok || n < 1 {
		return nil, fmt.Errorf("%s: shard count must be a positive integer", sqlitePartitionFunc)
	}
	var id string
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		id = v
	case []byte:
		id = string(v)
	case int64:
		id = strconv.FormatInt(v, 10)
	case float64:
		id = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		id = fmt.Sprint(v)
	}
	return int64(PartitionOf(id, int(n))), nil
}
