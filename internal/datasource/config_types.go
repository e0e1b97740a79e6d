package datasource

import "github.com/retention-dev/retention-operator/internal/datasource/sourceconfig"

// The connector configuration is plain data in sourceconfig (the manager
// renders it without linking this package's drivers); these names keep the
// package's own API whole.
type (
	Config        = sourceconfig.Config
	Kind          = sourceconfig.Kind
	Format        = sourceconfig.Format
	ColumnMapping = sourceconfig.ColumnMapping
	Queries       = sourceconfig.Queries
)

const (
	KindPostgres = sourceconfig.KindPostgres
	KindSQLite   = sourceconfig.KindSQLite
	KindFile     = sourceconfig.KindFile

	FormatCSV          = sourceconfig.FormatCSV
	FormatNDJSON       = sourceconfig.FormatNDJSON
	FormatTransactions = sourceconfig.FormatTransactions
)
